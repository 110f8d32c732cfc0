"""The Athena CloudTrail table (CloudTrail SerDe) reproduced as a DuckDB view, for running the
SQL of `compile --dialect athena --engine duckdb` against the same records a native scan reads.

The columns are those of the Athena user guide's CREATE TABLE for CloudTrail ("Creating the
table for CloudTrail logs in Athena using partition projection"), written here from that page,
not from trailreplay's own table model (src/pushdown/record_source.cc), so that the two are
checked against each other. The view keeps what the SerDe loses:

  - keys are matched to columns without regard to case (a record's "EventName" fills
    eventname) and keys the DDL does not name are gone;
  - a JSON null and an absent key are both NULL;
  - scalars are text: strings as they are, numbers as DuckDB writes them, booleans as
    'true' / 'false';
  - requestParameters and the other objects the DDL types STRING hold the object's JSON text;
  - `$path` is the file the record came from, and the partition columns hold its date folder
    in the S3 layout (YYYY/MM/DD): `timestamp` as the partition-projection table has it, and
    `year`, `month`, `day` as the manually partitioned one has them.
"""

# (CloudTrail's key, type, fields) with type one of STRING, JSON (an object kept as JSON
# text), STRUCT, ARRAY_OF_STRUCT.
DDL = [
    ("eventVersion", "STRING", None),
    ("userIdentity", "STRUCT", [
        ("type", "STRING", None), ("principalId", "STRING", None), ("arn", "STRING", None),
        ("accountId", "STRING", None), ("invokedBy", "STRING", None),
        ("accessKeyId", "STRING", None), ("userName", "STRING", None),
        ("onBehalfOf", "STRUCT", [("userId", "STRING", None),
                                  ("identityStoreArn", "STRING", None)]),
        ("sessionContext", "STRUCT", [
            ("attributes", "STRUCT", [("mfaAuthenticated", "STRING", None),
                                      ("creationDate", "STRING", None)]),
            ("sessionIssuer", "STRUCT", [
                ("type", "STRING", None), ("principalId", "STRING", None),
                ("arn", "STRING", None), ("accountId", "STRING", None),
                ("userName", "STRING", None)]),
            ("ec2RoleDelivery", "STRING", None),
            ("webIdFederationData", "STRUCT", [("federatedProvider", "STRING", None)]),
        ]),
    ]),
    ("eventTime", "STRING", None),
    ("eventSource", "STRING", None),
    ("eventName", "STRING", None),
    ("awsRegion", "STRING", None),
    ("sourceIPAddress", "STRING", None),
    ("userAgent", "STRING", None),
    ("errorCode", "STRING", None),
    ("errorMessage", "STRING", None),
    ("requestParameters", "JSON", None),
    ("responseElements", "JSON", None),
    ("additionalEventData", "JSON", None),
    ("requestID", "STRING", None),
    ("eventID", "STRING", None),
    ("readOnly", "STRING", None),
    ("resources", "ARRAY_OF_STRUCT", [("ARN", "STRING", None), ("accountId", "STRING", None),
                                      ("type", "STRING", None)]),
    ("eventType", "STRING", None),
    ("apiVersion", "STRING", None),
    ("recipientAccountId", "STRING", None),
    ("serviceEventDetails", "JSON", None),
    ("sharedEventID", "STRING", None),
    ("vpcEndpointId", "STRING", None),
    ("vpcEndpointAccountId", "STRING", None),
    ("eventCategory", "STRING", None),
    ("addendum", "STRUCT", [("reason", "STRING", None), ("updatedFields", "STRING", None),
                            ("originalRequestID", "STRING", None),
                            ("originalEventID", "STRING", None)]),
    ("sessionCredentialFromConsole", "STRING", None),
    ("edgeDeviceDetails", "JSON", None),
    ("tlsDetails", "STRUCT", [("tlsVersion", "STRING", None), ("cipherSuite", "STRING", None),
                              ("clientProvidedHostHeader", "STRING", None)]),
]

MACROS = r"""
-- The value of `obj`'s key `name`, matched without regard to case (NULL: none).
CREATE OR REPLACE MACRO ci(obj, name) AS (
  CASE WHEN json_type(obj) = 'OBJECT' THEN json_extract(obj,
    '/' || replace(replace(list_extract(list_filter(json_keys(obj), k -> lower(k) = lower(name)), 1),
                           '~', '~0'), '/', '~1')) END);
-- A value as a STRING column holds it: text for scalars, JSON text for objects and arrays.
CREATE OR REPLACE MACRO txt(v) AS (
  CASE json_type(v) WHEN 'NULL' THEN NULL WHEN 'VARCHAR' THEN json_extract_string(v, '$')
       WHEN 'OBJECT' THEN CAST(v AS VARCHAR) WHEN 'ARRAY' THEN CAST(v AS VARCHAR)
       ELSE json_extract_string(v, '$') END);
"""


def _value(expr, kind, fields):
    if kind in ("STRING", "JSON"):
        return f"txt({expr})"
    if kind == "STRUCT":
        parts = ", ".join(f"{name.lower()} := {_value(f'ci({expr}, {_lit(name)})', k, f)}"
                          for name, k, f in fields)
        return f"CASE WHEN json_type({expr}) = 'OBJECT' THEN struct_pack({parts}) END"
    # ARRAY_OF_STRUCT
    element = _value("e", "STRUCT", fields)
    return (f"CASE WHEN json_type({expr}) = 'ARRAY' THEN "
            f"list_transform(json_extract({expr}, '$[*]'), e -> {element}) END")


def _lit(text):
    return "'" + text.replace("'", "''") + "'"


def view_sql(records_relation, name="cloudtrail_logs"):
    """SQL that creates the view `name` over `records_relation` (columns path, r)."""
    columns = ",\n  ".join(f"{_value(f'ci(r, {_lit(key)})', kind, fields)} AS {key.lower()}"
                           for key, kind, fields in DDL)
    date = "regexp_extract(path, '/([0-9]{4})/([0-9]{2})/([0-9]{2})/[^/]*$', GROUP)"
    return (MACROS + f"CREATE OR REPLACE VIEW {name} AS SELECT\n  {columns},\n"
            f"  path AS \"$path\",\n"
            f"  NULLIF({date.replace('GROUP', '1')} || '/' || {date.replace('GROUP', '2')} || '/' || {date.replace('GROUP', '3')}, "
            f"'//') AS \"timestamp\",\n"
            f"  NULLIF({date.replace('GROUP', '1')}, '') AS year, NULLIF({date.replace('GROUP', '2')}, '') AS month,\n"
            f"  NULLIF({date.replace('GROUP', '3')}, '') AS day\n"
            f"FROM {records_relation};\n")
