#!/usr/bin/env python3
"""Generate the synthetic CloudTrail sample data in sample-data/.

Everything written here is fake but shaped like the real thing:

* ``sample-data/AWSLogs/...`` -- CloudTrail log files laid out exactly as CloudTrail
  delivers them to S3 (two accounts, two regions, two days, one delivery roughly
  every five minutes per account/region when there is activity), a handful of files
  under an organization-trail prefix, and one CloudTrail-Digest file.
* ``sample-data/events.jsonl`` -- a curated set of single records, one per line, as
  CloudWatch Logs receives them from CloudTrail; it covers the interesting cases for
  metric filter pattern demos (CIS alarms, near misses, odd JSON).
* ``sample-data/EXPECTED.md`` and ``sample-data/expected.json`` -- event counts for
  the two CIS filters (unauthorized API calls, CloudTrail configuration changes),
  computed by reading the written files back with plain Python, not a pattern engine.
* ``sample-data/README.md`` -- what the directory is.

The output is deterministic: a fixed random seed, UUIDs drawn from that generator,
gzip members with mtime 0 and no file name, and no dependence on the clock, the
locale or hash randomisation.  Run it from anywhere:

    python3 scripts/make-sample-data.py

Standard library only (Python 3.11).
"""

from __future__ import annotations

import calendar
import collections
import gzip
import hashlib
import json
import pathlib
import random
import re
import shutil
import string
import sys
import time
import uuid

SEED = 20240301
ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("us-east-1", "eu-west-1")
ORG_ID = "o-exampleorgid"
VENDOR_ACCOUNT = "777788889999"          # a third-party monitoring vendor
OUTSIDE_ACCOUNT = "999900001111"         # invited into the organization
LOG_BUCKET = "examplecorp-cloudtrail-central-logs"
MAIN_TRAIL = "management-events"
DAY0 = calendar.timegm((2024, 3, 1, 0, 0, 0))
NDAYS = 2
# Last event time in the S3 layout: every file, late ones included, is delivered before
# the end of the second day, so the tree holds exactly two day directories.
END = DAY0 + NDAYS * 86400 - 300
WINDOW = 300
MIN_LAG, MAX_LAG = 60, 900               # normal delivery delay (1 to 15 minutes)
LATE_MIN, LATE_MAX = 16 * 60, 40 * 60    # "late" records

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "sample-data"

LOG_KEY_RE = re.compile(
    r"^AWSLogs/(?:(o-[a-z0-9]{10,32})/)?(\d{12})/CloudTrail/([a-z]{2}-[a-z]+-\d)/"
    r"(\d{4})/(\d{2})/(\d{2})/\2_CloudTrail_\3_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$")
DIGEST_KEY_RE = re.compile(
    r"^AWSLogs/(?:(o-[a-z0-9]{10,32})/)?(\d{12})/CloudTrail-Digest/([a-z]{2}-[a-z]+-\d)/"
    r"(\d{4})/(\d{2})/(\d{2})/\2_CloudTrail-Digest_\3_[A-Za-z0-9._-]+_[a-z]{2}-[a-z]+-\d_"
    r"(\d{8}T\d{6}Z)\.json\.gz$")

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HEX = "0123456789abcdef"
ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
B32 = string.ascii_uppercase + "234567"
B64 = string.ascii_letters + string.digits + "+/"


# --------------------------------------------------------------------------- helpers

def iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def iamdate(t: int) -> str:
    """The 'Mar 1, 2024, 2:10:44 PM' style IAM/STS put in responseElements."""
    tm = time.gmtime(t)
    h12 = tm.tm_hour % 12 or 12
    ampm = "AM" if tm.tm_hour < 12 else "PM"
    return f"{MONTHS[tm.tm_mon - 1]} {tm.tm_mday}, {tm.tm_year}, {h12}:{tm.tm_min:02d}:{tm.tm_sec:02d} {ampm}"


def at(day: int, hh: int, mm: int, ss: int = 0) -> int:
    return DAY0 + (day - 1) * 86400 + hh * 3600 + mm * 60 + ss


def kebab(name: str) -> str:
    name = re.sub(r"\d{8}(v\d+)?$", "", name)
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def iam_action(name: str) -> str:
    return re.sub(r"\d{8}(v\d+)?$", "", name)


class Rng:
    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choices(alphabet, k=n))

    def hex(self, n: int) -> str:
        return self.s(HEX, n)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def wpick(self, pairs):
        total = sum(w for _, w in pairs)
        x = self.r.random() * total
        for item, w in pairs:
            x -= w
            if x < 0:
                return item
        return pairs[-1][0]

    def poisson(self, lam: float) -> int:
        # Knuth; lam is small here.
        limit, k, p = pow(2.718281828459045, -lam), 0, 1.0
        while True:
            p *= self.r.random()
            if p <= limit:
                return k
            k += 1

    def rand(self, a: int, b: int) -> int:
        return self.r.randint(a, b)


R = Rng(SEED)


# ------------------------------------------------------------------ resource pools

def build_pools():
    acct_pools, reg_pools = {}, {}
    bucket_names = {
        "111122223333": {"us-east-1": ["examplecorp-prod-assets", "examplecorp-prod-reports",
                                       "examplecorp-prod-tfstate"],
                         "eu-west-1": ["examplecorp-prod-eu-backups", "examplecorp-prod-eu-data"]},
        "444455556666": {"us-east-1": ["examplecorp-staging-uploads", "examplecorp-staging-tfstate"],
                         "eu-west-1": ["examplecorp-staging-eu-reports"]},
    }
    for acct in ACCOUNTS:
        acct_pools[acct] = {
            "users": {}, "roles": {},
            "policies": ["examplecorp-deploy", "examplecorp-readonly-extra", "s3-reports-writer"],
        }
        for region in REGIONS:
            az = "abc"
            reg_pools[(acct, region)] = {
                "instances": [f"i-0{R.hex(16)}" for _ in range(6)],
                "sgs": [f"sg-0{R.hex(16)}" for _ in range(5)],
                "vpcs": [f"vpc-0{R.hex(16)}" for _ in range(2)],
                "subnets": [f"subnet-0{R.hex(16)}" for _ in range(4)],
                "rtbs": [f"rtb-0{R.hex(16)}" for _ in range(3)],
                "igws": [f"igw-0{R.hex(16)}" for _ in range(1)],
                "acls": [f"acl-0{R.hex(16)}" for _ in range(2)],
                "volumes": [f"vol-0{R.hex(16)}" for _ in range(4)],
                "keys": [R.uuid() for _ in range(3)],
                "buckets": bucket_names[acct][region],
                "functions": ["order-processor", "nightly-report", "s3-thumbnailer"]
                if acct == "111122223333" else ["cost-reporter", "etl-loader"],
                "loggroups": ["/aws/lambda/order-processor", "/ecs/api", "/aws/lambda/nightly-report"]
                if acct == "111122223333" else ["/aws/lambda/cost-reporter", "/aws/lambda/etl-loader"],
                "secrets": ["prod/db/app", "prod/api/stripe"] if acct == "111122223333"
                else ["staging/db/app"],
                "azs": [f"{region}{c}" for c in az],
            }
    return acct_pools, reg_pools


ACCT, POOL = build_pools()


def user_ids(acct: str, name: str):
    users = ACCT[acct]["users"]
    if name not in users:
        users[name] = {"pid": "AIDA" + R.s(B32, 17), "akid": "AKIA" + R.s(B32, 16)}
    return users[name]


def role_id(acct: str, role: str) -> str:
    roles = ACCT[acct]["roles"]
    if role not in roles:
        roles[role] = "AROA" + R.s(B32, 17)
    return roles[role]


def key_arn(acct: str, region: str, idx: int = 0) -> str:
    return f"arn:aws:kms:{region}:{acct}:key/{POOL[(acct, region)]['keys'][idx]}"


def trail_arn(acct: str, name: str = MAIN_TRAIL, region: str = "us-east-1") -> str:
    return f"arn:aws:cloudtrail:{region}:{acct}:trail/{name}"


# ------------------------------------------------------------------------ principals

class Who:
    """A principal making calls for the length of one session."""

    def __init__(self, identity, kind, ip, ua, console=False, arn=None):
        self.identity = identity
        self.kind = kind
        self.ip = ip
        self.ua = ua
        self.console = console
        self.arn = arn or identity.get("arn", "")


def who_user(acct, name, t, ip, ua, console=False, mfa=False, temp_key=False):
    ids = user_ids(acct, name)
    ident = {"type": "IAMUser", "principalId": ids["pid"], "arn": f"arn:aws:iam::{acct}:user/{name}",
             "accountId": acct,
             "accessKeyId": ("ASIA" + R.s(B32, 16)) if (console or temp_key) else ids["akid"],
             "userName": name}
    if console:
        ident["sessionContext"] = {"sessionIssuer": {}, "webIdFederationData": {},
                                   "attributes": {"creationDate": iso(t - R.rand(30, 2400)),
                                                  "mfaAuthenticated": "true" if mfa else "false"}}
    return Who(ident, "IAMUser", ip, ua, console=console)


def who_role(acct, role, session, t, ip, ua, path="/", mfa=False, invoked_by=None,
             ec2=False, console=False, created=None):
    rid = role_id(acct, role)
    ident = {"type": "AssumedRole", "principalId": f"{rid}:{session}",
             "arn": f"arn:aws:sts::{acct}:assumed-role/{role}/{session}", "accountId": acct,
             "accessKeyId": "ASIA" + R.s(B32, 16),
             "sessionContext": {
                 "sessionIssuer": {"type": "Role", "principalId": rid,
                                   "arn": f"arn:aws:iam::{acct}:role{path}{role}",
                                   "accountId": acct, "userName": role},
                 "webIdFederationData": {},
                 "attributes": {"creationDate": iso(created if created is not None else t - R.rand(5, 3000)),
                                "mfaAuthenticated": "true" if mfa else "false"}}}
    if ec2:
        ident["sessionContext"]["ec2RoleDelivery"] = "2.0"
    if invoked_by:
        ident["invokedBy"] = invoked_by
    return Who(ident, "AssumedRole", ip, ua, console=console)


def who_root(acct, t, ip, ua, console_signin=False):
    ident = {"type": "Root", "principalId": acct, "arn": f"arn:aws:iam::{acct}:root", "accountId": acct,
             "accessKeyId": "" if console_signin else "ASIA" + R.s(B32, 16)}
    if not console_signin:
        ident["sessionContext"] = {"sessionIssuer": {}, "webIdFederationData": {},
                                   "attributes": {"creationDate": iso(t - R.rand(30, 900)),
                                                  "mfaAuthenticated": "true"}}
    return Who(ident, "Root", ip, ua, console=not console_signin,
               arn=f"arn:aws:iam::{acct}:root")


def who_service(service):
    return Who({"type": "AWSService", "invokedBy": service}, "AWSService", service, service)


SSO_ADMIN = "AWSReservedSSO_AdministratorAccess_3f2a9c1d7b6e5a40"
SSO_READONLY = "AWSReservedSSO_ReadOnlyAccess_8c41e0d2a95b7f13"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"

OFFICE_IPS = ("203.0.113.10", "203.0.113.11", "203.0.113.47")
HOME_IPS = ("198.51.100.23", "198.51.100.172")
VENDOR_IPS = ("198.51.100.201", "198.51.100.202")
ATTACKER_IP = "192.0.2.66"
CI_IP = "203.0.113.200"

UA_CLI_LINUX = "aws-cli/2.15.24 Python/3.11.8 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22 prompt/off command/{cmd}"
UA_CLI_MAC = "aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/{cmd}"
UA_KALI = "aws-cli/2.13.5 Python/3.11.4 Linux/6.3.0-kali1-amd64 exe/x86_64.kali.2023 prompt/off command/{cmd}"
UA_BOTO_LAMBDA = ("Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.209-220.838.amzn2.x86_64 "
                  "md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython exec-env/AWS_Lambda_python3.11 "
                  "cfg/retry-mode#legacy Botocore/1.34.51")
UA_BOTO_REPORT = ("Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1.77-99.164.amzn2023.x86_64 "
                  "md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy "
                  "Botocore/1.34.51 rapport-g\u00e9n\u00e9ral/2.1")
UA_TF = ("APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.39.1 "
         "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2 os/linux "
         "lang/go#1.21.7 md/GOOS#linux md/GOARCH#amd64 api/{svc}#1.149.3")
UA_JAVA = ("aws-sdk-java/2.25.6 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS "
           "Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy")
UA_SSM = "aws-sdk-go/1.50.11 (go1.21.6; linux; amd64) amazon-ssm-agent/3.3.40.0"
UA_VENDOR = "aws-sdk-go/1.50.0 (go1.21.5; linux; amd64) examplevendor-agent/7.51.0"
UA_CONSOLE = "AWS Internal"
UA_BROWSER = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/122.0.0.0 Safari/537.36")
UA_BROWSER_WIN = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0")


# --------------------------------------------------------------------- action catalogue
#
# Each template returns the service-specific part of a record.  Keys:
#   src   short service name (see SERVICES)       name  eventName
#   ro    readOnly                                req / resp  requestParameters / responseElements
#   res   resources list                          aed   additionalEventData
#   near  [(errorCode, errorMessage)] that this call realistically fails with, not authz
#   host  TLS host header                         data  True for an S3 data event
#   resource  the ARN used in an authorization failure message

SERVICES = {
    # short: (eventSource, eventVersion, authz failure errorCode, global service)
    "ec2": ("ec2.amazonaws.com", "1.09", "Client.UnauthorizedOperation", False),
    "s3": ("s3.amazonaws.com", "1.09", "AccessDenied", False),
    "iam": ("iam.amazonaws.com", "1.09", "AccessDenied", True),
    "sts": ("sts.amazonaws.com", "1.08", "AccessDenied", False),
    "kms": ("kms.amazonaws.com", "1.09", "AccessDeniedException", False),
    "logs": ("logs.amazonaws.com", "1.08", "AccessDeniedException", False),
    "monitoring": ("monitoring.amazonaws.com", "1.08", "AccessDenied", False),
    "lambda": ("lambda.amazonaws.com", "1.08", "AccessDeniedException", False),
    "cloudtrail": ("cloudtrail.amazonaws.com", "1.09", "AccessDenied", False),
    "config": ("config.amazonaws.com", "1.08", "AccessDeniedException", False),
    "organizations": ("organizations.amazonaws.com", "1.08", "AccessDeniedException", True),
    "ssm": ("ssm.amazonaws.com", "1.08", "AccessDeniedException", False),
    "secretsmanager": ("secretsmanager.amazonaws.com", "1.08", "AccessDeniedException", False),
    "signin": ("signin.amazonaws.com", "1.08", "AccessDenied", True),
    "cognito-idp": ("cognito-idp.amazonaws.com", "1.08", "AccessDeniedException", False),
}
IAM_PREFIX = {"monitoring": "cloudwatch"}
TEMPLATES = {}


def tmpl(name):
    def deco(fn):
        TEMPLATES[name] = fn
        return fn
    return deco


class Ctx:
    def __init__(self, acct, region, t, rid, who):
        self.acct, self.region, self.t, self.rid, self.who = acct, region, t, rid, who
        self.p = POOL[(acct, region)]


def A(src, name, ro, req=None, resp=None, **kw):
    d = {"src": src, "name": name, "ro": ro, "req": req, "resp": resp}
    d.update(kw)
    return d


def ec2_ok(c, **extra):
    d = {"requestId": c.rid, "_return": True}
    d.update(extra)
    return d


THROTTLE = ("ThrottlingException", "Rate exceeded")
EC2_THROTTLE = ("Client.RequestLimitExceeded", "Request limit exceeded.")


def p(err, prob):
    """A non-authorization failure that a call hits with probability prob (scaled per session)."""
    return (err[0], err[1], prob)


# ---- EC2 reads
def _ec2_describe(name, req_fn):
    @tmpl("ec2." + name)
    def fn(c, **kw):
        return A("ec2", name, True, req_fn(c), None, near=[p(EC2_THROTTLE, 0.004)],
                 resource="*")
    return fn


_ec2_describe("DescribeInstances", lambda c: R.pick([
    {"instancesSet": {}, "filterSet": {}, "maxResults": 50},
    {"instancesSet": {}, "filterSet": {}},
    {"instancesSet": {"items": [{"instanceId": R.pick(c.p["instances"])}]}, "filterSet": {}},
    {"instancesSet": {}, "filterSet": {"items": [{"name": "instance-state-name",
                                                   "valueSet": {"items": [{"value": "running"}]}}]},
     "maxResults": 1000}]))
_ec2_describe("DescribeSecurityGroups", lambda c: R.pick([
    {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
    {"securityGroupSet": {}, "securityGroupIdSet": {"items": [{"groupId": R.pick(c.p["sgs"])}]},
     "filterSet": {}}]))
_ec2_describe("DescribeVolumes", lambda c: {"volumeSet": {}, "filterSet": {}})
_ec2_describe("DescribeSubnets", lambda c: {"subnetSet": {}, "filterSet": {}})
_ec2_describe("DescribeVpcs", lambda c: {"vpcSet": {}, "filterSet": {}})
_ec2_describe("DescribeRouteTables", lambda c: {"routeTableIdSet": {}, "filterSet": {}})
_ec2_describe("DescribeNetworkAcls", lambda c: {"networkAclIdSet": {}, "filterSet": {}})
_ec2_describe("DescribeInternetGateways", lambda c: {"internetGatewayIdSet": {}, "filterSet": {}})
_ec2_describe("DescribeNetworkInterfaces", lambda c: {
    "networkInterfaceIdSet": {}, "filterSet": {"items": [{"name": "vpc-id", "valueSet": {
        "items": [{"value": R.pick(c.p["vpcs"])}]}}]}})
_ec2_describe("DescribeRegions", lambda c: {"regionSet": {}})
_ec2_describe("DescribeAvailabilityZones", lambda c: {"availabilityZoneSet": {}, "availabilityZoneIdSet": {}})
_ec2_describe("DescribeInstanceStatus", lambda c: {"instancesSet": {}, "filterSet": {},
                                                    "includeAllInstances": False})
_ec2_describe("DescribeSnapshots", lambda c: {"snapshotSet": {}, "ownersSet": {"items": [{"owner": "self"}]},
                                               "sharedUsersSet": {}, "filterSet": {}})
_ec2_describe("DescribeImages", lambda c: {"executableBySet": {}, "imagesSet": {},
                                            "ownersSet": {"items": [{"owner": "amazon"}]},
                                            "filterSet": {"items": [{"name": "name", "valueSet": {
                                                "items": [{"value": "al2023-ami-2023.*-x86_64"}]}}]}})


def sg_perm(port, cidr):
    return {"items": [{"ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {},
                       "ipRanges": {"items": [{"cidrIp": cidr}]}, "ipv6Ranges": {}, "prefixListIds": {}}]}


# ---- EC2 writes
@tmpl("ec2.CreateTags")
def _(c, value=None, key="Name", **kw):
    rid = R.pick(c.p["instances"] + c.p["volumes"])
    return A("ec2", "CreateTags", False,
             {"resourcesSet": {"items": [{"resourceId": rid}]},
              "tagSet": {"items": [{"key": key, "value": value or R.pick(
                  ["api-server", "worker", "batch", "bastion", "build-agent"])}]}},
             ec2_ok(c), resource=f"arn:aws:ec2:{c.region}:{c.acct}:instance/{rid}")


@tmpl("ec2.StopInstances")
def _(c, **kw):
    i = R.pick(c.p["instances"])
    return A("ec2", "StopInstances", False, {"instancesSet": {"items": [{"instanceId": i}]}, "force": False},
             {"requestId": c.rid, "instancesSet": {"items": [{"instanceId": i, "currentState": {
                 "code": 64, "name": "stopping"}, "previousState": {"code": 16, "name": "running"}}]}},
             resource=f"arn:aws:ec2:{c.region}:{c.acct}:instance/{i}")


@tmpl("ec2.RunInstances")
def _(c, **kw):
    return A("ec2", "RunInstances", False,
             {"instancesSet": {"items": [{"imageId": "ami-0" + R.hex(16), "minCount": 1, "maxCount": 1}]},
              "instanceType": "c5.4xlarge", "blockDeviceMapping": {}, "monitoring": {"enabled": False},
              "disableApiTermination": False, "disableApiStop": False, "clientToken": R.uuid()},
             None, resource=f"arn:aws:ec2:{c.region}:{c.acct}:instance/*")


@tmpl("ec2.AuthorizeSecurityGroupIngress")
def _(c, port=22, cidr="0.0.0.0/0", sg=None, **kw):
    sg = sg or R.pick(c.p["sgs"])
    return A("ec2", "AuthorizeSecurityGroupIngress", False, {"groupId": sg, "ipPermissions": sg_perm(port, cidr)},
             ec2_ok(c, securityGroupRuleSet={"items": [{
                 "groupOwnerId": c.acct, "groupId": sg, "securityGroupRuleId": "sgr-0" + R.hex(16),
                 "isEgress": False, "ipProtocol": "tcp", "fromPort": port, "toPort": port, "cidrIpv4": cidr}]}),
             near=[("Client.InvalidPermission.Duplicate",
                    f"the specified rule \"peer: {cidr}, TCP, from port: {port}, to port: {port}, ALLOW\" "
                    f"already exists", 0.05)],
             resource=f"arn:aws:ec2:{c.region}:{c.acct}:security-group/{sg}")


@tmpl("ec2.AuthorizeSecurityGroupEgress")
def _(c, port=443, cidr="0.0.0.0/0", **kw):
    sg = R.pick(c.p["sgs"])
    return A("ec2", "AuthorizeSecurityGroupEgress", False, {"groupId": sg, "ipPermissions": sg_perm(port, cidr)},
             ec2_ok(c, securityGroupRuleSet={"items": [{
                 "groupOwnerId": c.acct, "groupId": sg, "securityGroupRuleId": "sgr-0" + R.hex(16),
                 "isEgress": True, "ipProtocol": "tcp", "fromPort": port, "toPort": port, "cidrIpv4": cidr}]}))


@tmpl("ec2.RevokeSecurityGroupIngress")
def _(c, port=22, cidr="0.0.0.0/0", sg=None, **kw):
    sg = sg or R.pick(c.p["sgs"])
    return A("ec2", "RevokeSecurityGroupIngress", False, {"groupId": sg, "ipPermissions": sg_perm(port, cidr)},
             ec2_ok(c, revokedSecurityGroupRuleSet={"items": [{
                 "groupId": sg, "securityGroupRuleId": "sgr-0" + R.hex(16), "isEgress": False,
                 "ipProtocol": "tcp", "fromPort": port, "toPort": port, "cidrIpv4": cidr}]}),
             near=[("Client.InvalidPermission.NotFound",
                    "The specified rule does not exist in this security group.", 0.05)])


@tmpl("ec2.CreateSecurityGroup")
def _(c, **kw):
    return A("ec2", "CreateSecurityGroup", False,
             {"groupName": R.pick(["alb-public", "api-internal", "db-clients"]),
              "groupDescription": "Managed by Terraform", "vpcId": c.p["vpcs"][0]},
             ec2_ok(c, groupId="sg-0" + R.hex(16)))


@tmpl("ec2.DeleteSecurityGroup")
def _(c, **kw):
    sg = R.pick(c.p["sgs"])
    return A("ec2", "DeleteSecurityGroup", False, {"groupId": sg}, ec2_ok(c, groupId=sg))


@tmpl("ec2.CreateVpc")
def _(c, **kw):
    vpc = "vpc-0" + R.hex(16)
    return A("ec2", "CreateVpc", False,
             {"cidrBlock": "10.20.0.0/16", "instanceTenancy": "default", "amazonProvidedIpv6CidrBlock": False},
             {"requestId": c.rid, "vpc": {"vpcId": vpc, "state": "pending", "ownerId": c.acct,
                                          "cidrBlock": "10.20.0.0/16", "cidrBlockAssociationSet": {"items": [{
                                              "cidrBlock": "10.20.0.0/16",
                                              "associationId": "vpc-cidr-assoc-0" + R.hex(16),
                                              "cidrBlockState": {"state": "associated"}}]},
                                          "ipv6CidrBlockAssociationSet": {}, "dhcpOptionsId": "dopt-0" + R.hex(16),
                                          "instanceTenancy": "default", "tagSet": {}, "isDefault": False}})


@tmpl("ec2.DeleteVpc")
def _(c, **kw):
    return A("ec2", "DeleteVpc", False, {"vpcId": c.p["vpcs"][1]}, ec2_ok(c))


@tmpl("ec2.ModifyVpcAttribute")
def _(c, **kw):
    return A("ec2", "ModifyVpcAttribute", False, {"vpcId": c.p["vpcs"][0], "enableDnsHostnames": {"value": True}},
             ec2_ok(c))


@tmpl("ec2.CreateVpcPeeringConnection")
def _(c, **kw):
    return A("ec2", "CreateVpcPeeringConnection", False,
             {"vpcId": c.p["vpcs"][0], "peerVpcId": "vpc-0" + R.hex(16), "peerOwnerId": OUTSIDE_ACCOUNT},
             {"requestId": c.rid, "vpcPeeringConnection": {"vpcPeeringConnectionId": "pcx-0" + R.hex(16),
                                                           "status": {"code": "initiating-request",
                                                                      "message": "Initiating Request to "
                                                                                 + OUTSIDE_ACCOUNT}}})


@tmpl("ec2.CreateInternetGateway")
def _(c, **kw):
    return A("ec2", "CreateInternetGateway", False, {},
             {"requestId": c.rid, "internetGateway": {"internetGatewayId": "igw-0" + R.hex(16),
                                                      "ownerId": c.acct, "attachmentSet": {}, "tagSet": {}}})


@tmpl("ec2.AttachInternetGateway")
def _(c, **kw):
    return A("ec2", "AttachInternetGateway", False, {"internetGatewayId": c.p["igws"][0], "vpcId": c.p["vpcs"][0]},
             ec2_ok(c))


@tmpl("ec2.DetachInternetGateway")
def _(c, **kw):
    return A("ec2", "DetachInternetGateway", False, {"internetGatewayId": c.p["igws"][0], "vpcId": c.p["vpcs"][0]},
             ec2_ok(c))


@tmpl("ec2.CreateCustomerGateway")
def _(c, **kw):
    return A("ec2", "CreateCustomerGateway", False, {"type": "ipsec.1", "ipAddress": "198.51.100.20",
                                                     "bgpAsn": 65010},
             {"requestId": c.rid, "customerGateway": {"customerGatewayId": "cgw-0" + R.hex(16), "state": "available",
                                                      "type": "ipsec.1", "ipAddress": "198.51.100.20",
                                                      "bgpAsn": "65010", "tagSet": {}}})


@tmpl("ec2.CreateRouteTable")
def _(c, **kw):
    return A("ec2", "CreateRouteTable", False, {"vpcId": c.p["vpcs"][0]},
             {"requestId": c.rid, "routeTable": {"routeTableId": "rtb-0" + R.hex(16), "vpcId": c.p["vpcs"][0],
                                                 "ownerId": c.acct, "routeSet": {"items": [{
                                                     "destinationCidrBlock": "10.0.0.0/16", "gatewayId": "local",
                                                     "state": "active", "origin": "CreateRouteTable"}]},
                                                 "associationSet": {}, "propagatingVgwSet": {}, "tagSet": {}}})


@tmpl("ec2.CreateRoute")
def _(c, **kw):
    return A("ec2", "CreateRoute", False, {"routeTableId": R.pick(c.p["rtbs"]), "destinationCidrBlock": "0.0.0.0/0",
                                           "gatewayId": c.p["igws"][0]}, ec2_ok(c))


@tmpl("ec2.ReplaceRoute")
def _(c, **kw):
    return A("ec2", "ReplaceRoute", False, {"routeTableId": R.pick(c.p["rtbs"]),
                                            "destinationCidrBlock": "192.168.0.0/16",
                                            "transitGatewayId": "tgw-0" + R.hex(16)}, ec2_ok(c))


@tmpl("ec2.ReplaceRouteTableAssociation")
def _(c, **kw):
    return A("ec2", "ReplaceRouteTableAssociation", False,
             {"associationId": "rtbassoc-0" + R.hex(16), "routeTableId": R.pick(c.p["rtbs"])},
             {"requestId": c.rid, "newAssociationId": "rtbassoc-0" + R.hex(16),
              "associationState": {"state": "associated"}})


@tmpl("ec2.DeleteRouteTable")
def _(c, **kw):
    return A("ec2", "DeleteRouteTable", False, {"routeTableId": c.p["rtbs"][2]}, ec2_ok(c))


@tmpl("ec2.CreateNetworkAcl")
def _(c, **kw):
    return A("ec2", "CreateNetworkAcl", False, {"vpcId": c.p["vpcs"][0]},
             {"requestId": c.rid, "networkAcl": {"networkAclId": "acl-0" + R.hex(16), "vpcId": c.p["vpcs"][0],
                                                 "default": False, "entrySet": {}, "associationSet": {},
                                                 "tagSet": {}, "ownerId": c.acct}})


@tmpl("ec2.CreateNetworkAclEntry")
def _(c, rule=100, port=443, egress=False, **kw):
    return A("ec2", "CreateNetworkAclEntry", False,
             {"networkAclId": R.pick(c.p["acls"]), "ruleNumber": rule, "egress": egress, "ruleAction": "allow",
              "icmpTypeCode": {}, "portRange": {"from": port, "to": port}, "aclProtocol": "6",
              "cidrBlock": "0.0.0.0/0"}, ec2_ok(c))


@tmpl("ec2.DeleteNetworkAclEntry")
def _(c, **kw):
    return A("ec2", "DeleteNetworkAclEntry", False, {"networkAclId": R.pick(c.p["acls"]), "ruleNumber": 120,
                                                     "egress": False}, ec2_ok(c))


@tmpl("ec2.ReplaceNetworkAclAssociation")
def _(c, **kw):
    return A("ec2", "ReplaceNetworkAclAssociation", False,
             {"associationId": "aclassoc-0" + R.hex(16), "networkAclId": R.pick(c.p["acls"])},
             {"requestId": c.rid, "newAssociationId": "aclassoc-0" + R.hex(16)})


# ---- S3
def s3_aed(data=False, bytes_in=0, bytes_out=0):
    d = {"SignatureVersion": "SigV4", "CipherSuite": R.pick(["TLS_AES_128_GCM_SHA256",
                                                             "ECDHE-RSA-AES128-GCM-SHA256"]),
         "bytesTransferredIn": float(bytes_in) if data else bytes_in,
         "AuthenticationMethod": "AuthHeader", "x-amz-id-2": R.s(B64, 76),
         "bytesTransferredOut": float(bytes_out) if data else bytes_out}
    return d


def s3_bucket_res(c, b):
    return [{"accountId": c.acct, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{b}"}]


NO_BUCKET = ("NoSuchBucket", "The specified bucket does not exist", 0.002)


def _s3_get(name, sub, near=()):
    @tmpl("s3." + name)
    def fn(c, bucket=None, **kw):
        b = bucket or R.pick(c.p["buckets"])
        return A("s3", name, True, {"bucketName": b, "Host": f"{b}.s3.{c.region}.amazonaws.com", sub: ""},
                 None, res=s3_bucket_res(c, b), aed=s3_aed(), host=f"{b}.s3.{c.region}.amazonaws.com",
                 near=[NO_BUCKET, *near],
                 resource=f"arn:aws:s3:::{b}")
    return fn


_s3_get("GetBucketAcl", "acl")
_s3_get("GetBucketLocation", "location")
_s3_get("GetBucketVersioning", "versioning")
_s3_get("GetBucketEncryption", "encryption")
_s3_get("GetBucketTagging", "tagging", [("NoSuchTagSet", "The TagSet does not exist", 0.3)])
_s3_get("GetBucketLogging", "logging")
_s3_get("GetBucketLifecycle", "lifecycle", [("NoSuchLifecycleConfiguration",
                                              "The lifecycle configuration does not exist", 0.4)])
_s3_get("GetBucketCors", "cors", [("NoSuchCORSConfiguration", "The CORS configuration does not exist", 0.8)])
_s3_get("GetBucketWebsite", "website", [("NoSuchWebsiteConfiguration",
                                          "The specified bucket does not have a website configuration", 0.9)])
_s3_get("GetBucketPolicy", "policy", [("NoSuchBucketPolicy", "The bucket policy does not exist", 0.4)])
_s3_get("GetBucketPublicAccessBlock", "publicAccessBlock")


@tmpl("s3.ListBuckets")
def _(c, **kw):
    return A("s3", "ListBuckets", True, {"Host": "s3.amazonaws.com"}, None, aed=s3_aed(),
             host="s3.amazonaws.com", resource="*")


@tmpl("s3.GetObject")
def _(c, bucket=None, key=None, **kw):
    b = bucket or R.pick(c.p["buckets"])
    k = key or R.pick(["exports/2024/03/orders-{}.csv.gz", "thumbnails/{}.webp", "config/app-{}.json",
                       "reports/daily/{}.parquet"]).format(R.hex(8))
    size = R.rand(800, 900000)
    return A("s3", "GetObject", True, {"bucketName": b, "Host": f"{b}.s3.{c.region}.amazonaws.com", "key": k},
             None, res=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{b}/{k}"}] + s3_bucket_res(c, b),
             aed=s3_aed(True, 0, size), host=f"{b}.s3.{c.region}.amazonaws.com", data=True,
             near=[("NoSuchKey", "The specified key does not exist.", 0.02)], resource=f"arn:aws:s3:::{b}/{k}")


@tmpl("s3.PutObject")
def _(c, bucket=None, key=None, **kw):
    b = bucket or R.pick(c.p["buckets"])
    k = key or R.pick(["exports/2024/03/orders-{}.csv.gz", "reports/daily/{}.parquet",
                       "uploads/{}.png"]).format(R.hex(8))
    size = R.rand(500, 400000)
    return A("s3", "PutObject", False, {"bucketName": b, "Host": f"{b}.s3.{c.region}.amazonaws.com", "key": k},
             {"x-amz-server-side-encryption": "AES256"},
             res=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{b}/{k}"}] + s3_bucket_res(c, b),
             aed=s3_aed(True, size, 0), host=f"{b}.s3.{c.region}.amazonaws.com", data=True,
             resource=f"arn:aws:s3:::{b}/{k}")


def bucket_policy(b, principal):
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "AllowReadFromPartner", "Effect": "Allow", "Principal": {"AWS": principal},
        "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"]}]}


@tmpl("s3.PutBucketPolicy")
def _(c, bucket=None, principal=None, **kw):
    b = bucket or R.pick(c.p["buckets"])
    return A("s3", "PutBucketPolicy", False,
             {"bucketPolicy": bucket_policy(b, principal or f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"),
              "bucketName": b, "Host": f"{b}.s3.{c.region}.amazonaws.com", "policy": ""},
             None, res=s3_bucket_res(c, b), aed=s3_aed(), host=f"{b}.s3.{c.region}.amazonaws.com",
             resource=f"arn:aws:s3:::{b}")


@tmpl("s3.DeleteBucketPolicy")
def _(c, bucket=None, **kw):
    b = bucket or R.pick(c.p["buckets"])
    return A("s3", "DeleteBucketPolicy", False, {"bucketName": b, "Host": f"{b}.s3.{c.region}.amazonaws.com",
                                                 "policy": ""},
             None, res=s3_bucket_res(c, b), aed=s3_aed(), host=f"{b}.s3.{c.region}.amazonaws.com")


@tmpl("s3.PutBucketAcl")
def _(c, bucket=None, **kw):
    b = bucket or R.pick(c.p["buckets"])
    return A("s3", "PutBucketAcl", False, {"bucketName": b, "Host": f"{b}.s3.{c.region}.amazonaws.com", "acl": "",
                                           "x-amz-acl": ["public-read"]},
             None, res=s3_bucket_res(c, b), aed=s3_aed(), host=f"{b}.s3.{c.region}.amazonaws.com")


@tmpl("s3.PutBucketPublicAccessBlock")
def _(c, bucket=None, **kw):
    b = bucket or R.pick(c.p["buckets"])
    return A("s3", "PutBucketPublicAccessBlock", False,
             {"PublicAccessBlockConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                                                 "RestrictPublicBuckets": True, "BlockPublicPolicy": True,
                                                 "BlockPublicAcls": True, "IgnorePublicAcls": True},
              "bucketName": b, "Host": f"{b}.s3.{c.region}.amazonaws.com", "publicAccessBlock": ""},
             None, res=s3_bucket_res(c, b), aed=s3_aed(), host=f"{b}.s3.{c.region}.amazonaws.com")


# ---- IAM (global: logged in us-east-1)
def _iam_read(name, req_fn, resource_fn=lambda c: "*", near=None):
    @tmpl("iam." + name)
    def fn(c, **kw):
        return A("iam", name, True, req_fn(c), None, near=near, resource=resource_fn(c))
    return fn


IAM_ROLES = ("app-server-role", "order-processor-role", "terraform-deploy", "cost-reporter-role",
             "ExampleVendorIntegrationRole", "AWSServiceRoleForConfig")
_iam_read("GetUser", lambda c: {"userName": R.pick(["alice", "bob", "ci-deploy", "carol"])},
          near=[("NoSuchEntityException", "The user with name dave cannot be found.", 0.03)])
_iam_read("ListUsers", lambda c: None, lambda c: f"arn:aws:iam::{c.acct}:user/")
_iam_read("ListRoles", lambda c: R.pick([None, {"maxItems": 1000}]), lambda c: f"arn:aws:iam::{c.acct}:role/")
_iam_read("GetRole", lambda c: {"roleName": R.pick(IAM_ROLES)},
          near=[("NoSuchEntityException", "The role with name legacy-batch-role cannot be found.", 0.02)])
_iam_read("ListAttachedRolePolicies", lambda c: {"roleName": R.pick(IAM_ROLES)})
_iam_read("ListRolePolicies", lambda c: {"roleName": R.pick(IAM_ROLES)})
_iam_read("GetPolicy", lambda c: {"policyArn": f"arn:aws:iam::{c.acct}:policy/{R.pick(ACCT[c.acct]['policies'])}"})
_iam_read("GetPolicyVersion", lambda c: {
    "policyArn": f"arn:aws:iam::{c.acct}:policy/{R.pick(ACCT[c.acct]['policies'])}",
    "versionId": R.pick(["v1", "v2", "v4"])})
_iam_read("ListPolicies", lambda c: {"scope": "Local", "onlyAttached": False, "policyUsageFilter": "PermissionsPolicy"})
_iam_read("GetAccountSummary", lambda c: None)
_iam_read("ListAccessKeys", lambda c: {"userName": R.pick(["alice", "bob", "ci-deploy", "svc-reporting"])})
_iam_read("ListMFADevices", lambda c: {"userName": R.pick(["alice", "bob"])})
_iam_read("GetAccountPasswordPolicy", lambda c: None)
_iam_read("GetAccountAuthorizationDetails", lambda c: {"filter": ["User", "Role", "Group", "LocalManagedPolicy"]})


def policy_doc(actions, resource="*"):
    # IAM writes the policy document as a JSON *string* with the author's whitespace kept.
    acts = ",\n                ".join(f'"{a}"' for a in actions)
    return ('{\n    "Version": "2012-10-17",\n    "Statement": [\n        {\n            "Effect": "Allow",\n'
            f'            "Action": [\n                {acts}\n            ],\n'
            f'            "Resource": "{resource}"\n        }}\n    ]\n}}')


@tmpl("iam.PutUserPolicy")
def _(c, user="bob", **kw):
    return A("iam", "PutUserPolicy", False, {"userName": user, "policyName": "temp-debug-access",
                                             "policyDocument": policy_doc(["s3:*", "ec2:Describe*"])}, None,
             resource=f"arn:aws:iam::{c.acct}:user/{user}")


@tmpl("iam.PutRolePolicy")
def _(c, role="app-server-role", **kw):
    return A("iam", "PutRolePolicy", False, {"roleName": role, "policyName": "read-app-secrets",
                                             "policyDocument": policy_doc(["secretsmanager:GetSecretValue"],
                                                                          f"arn:aws:secretsmanager:*:{c.acct}:"
                                                                          f"secret:prod/*")}, None)


@tmpl("iam.DeleteRolePolicy")
def _(c, role="app-server-role", **kw):
    return A("iam", "DeleteRolePolicy", False, {"roleName": role, "policyName": "read-app-secrets"}, None)


@tmpl("iam.DeleteUserPolicy")
def _(c, user="bob", **kw):
    return A("iam", "DeleteUserPolicy", False, {"userName": user, "policyName": "temp-debug-access"}, None)


@tmpl("iam.AttachRolePolicy")
def _(c, role="terraform-deploy", policy="arn:aws:iam::aws:policy/AdministratorAccess", **kw):
    return A("iam", "AttachRolePolicy", False, {"roleName": role, "policyArn": policy}, None,
             resource=f"arn:aws:iam::{c.acct}:role/{role}")


@tmpl("iam.DetachRolePolicy")
def _(c, role="terraform-deploy", policy="arn:aws:iam::aws:policy/AdministratorAccess", **kw):
    return A("iam", "DetachRolePolicy", False, {"roleName": role, "policyArn": policy}, None)


@tmpl("iam.AttachUserPolicy")
def _(c, user="carol", policy="arn:aws:iam::aws:policy/PowerUserAccess", **kw):
    return A("iam", "AttachUserPolicy", False, {"userName": user, "policyArn": policy}, None)


@tmpl("iam.DetachUserPolicy")
def _(c, user="carol", policy="arn:aws:iam::aws:policy/PowerUserAccess", **kw):
    return A("iam", "DetachUserPolicy", False, {"userName": user, "policyArn": policy}, None)


@tmpl("iam.AttachGroupPolicy")
def _(c, **kw):
    return A("iam", "AttachGroupPolicy", False, {"groupName": "developers",
                                                 "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, None)


@tmpl("iam.CreatePolicy")
def _(c, name="s3-reports-writer", **kw):
    pid = "ANPA" + R.s(B32, 17)
    return A("iam", "CreatePolicy", False,
             {"policyName": name, "policyDocument": policy_doc(["s3:PutObject", "s3:GetObject"],
                                                               "arn:aws:s3:::examplecorp-prod-reports/*"),
              "description": "Write access to the reports bucket"},
             {"policy": {"policyName": name, "policyId": pid, "arn": f"arn:aws:iam::{c.acct}:policy/{name}",
                         "path": "/", "defaultVersionId": "v1", "attachmentCount": 0,
                         "permissionsBoundaryUsageCount": 0, "isAttachable": True,
                         "createDate": iamdate(c.t), "updateDate": iamdate(c.t)}})


@tmpl("iam.CreatePolicyVersion")
def _(c, name="examplecorp-deploy", **kw):
    return A("iam", "CreatePolicyVersion", False,
             {"policyArn": f"arn:aws:iam::{c.acct}:policy/{name}",
              "policyDocument": policy_doc(["ec2:*", "iam:PassRole"]), "setAsDefault": True},
             {"policyVersion": {"versionId": "v5", "isDefaultVersion": True, "createDate": iamdate(c.t)}})


@tmpl("iam.DeletePolicy")
def _(c, name="examplecorp-readonly-extra", **kw):
    return A("iam", "DeletePolicy", False, {"policyArn": f"arn:aws:iam::{c.acct}:policy/{name}"}, None)


@tmpl("iam.CreateAccessKey")
def _(c, user="carol", **kw):
    return A("iam", "CreateAccessKey", False, {"userName": user},
             {"accessKey": {"userName": user, "accessKeyId": "AKIA" + R.s(B32, 16), "status": "Active",
                            "createDate": iamdate(c.t)}}, resource=f"arn:aws:iam::{c.acct}:user/{user}")


# ---- STS
@tmpl("sts.GetCallerIdentity")
def _(c, **kw):
    return A("sts", "GetCallerIdentity", True, None, None, resource="*")


@tmpl("sts.AssumeRole")
def _(c, role="terraform-deploy", session=None, duration=3600, external_id=None, **kw):
    session = session or f"terraform-{R.hex(8)}"
    arn = f"arn:aws:iam::{c.acct}:role/{role}"
    req = {"roleArn": arn, "roleSessionName": session}
    if duration:
        req["durationSeconds"] = duration
    if external_id:
        req["externalId"] = external_id
    return A("sts", "AssumeRole", True, req,
             {"credentials": {"accessKeyId": "ASIA" + R.s(B32, 16), "expiration": iamdate(c.t + (duration or 3600))},
              "assumedRoleUser": {"assumedRoleId": f"{role_id(c.acct, role)}:{session}",
                                  "arn": f"arn:aws:sts::{c.acct}:assumed-role/{role}/{session}"}},
             res=[{"accountId": c.acct, "type": "AWS::IAM::Role", "ARN": arn}], resource=arn)


# ---- KMS
@tmpl("kms.Decrypt")
def _(c, ctx=None, **kw):
    k = key_arn(c.acct, c.region, R.rand(0, 2))
    req = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
    if ctx is not None:
        req["encryptionContext"] = ctx
    return A("kms", "Decrypt", True, req, None, res=[{"accountId": c.acct, "type": "AWS::KMS::Key", "ARN": k}],
             near=[p(THROTTLE, 0.01)], resource=k)


@tmpl("kms.GenerateDataKey")
def _(c, **kw):
    k = key_arn(c.acct, c.region, R.rand(0, 2))
    return A("kms", "GenerateDataKey", True, {"keyId": k, "keySpec": "AES_256",
                                              "encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::"
                                                                    f"{R.pick(c.p['buckets'])}"}},
             None, res=[{"accountId": c.acct, "type": "AWS::KMS::Key", "ARN": k}], near=[p(THROTTLE, 0.01)], resource=k)


def _kms_key_call(name, ro, extra=None):
    @tmpl("kms." + name)
    def fn(c, idx=None, **kw):
        k = key_arn(c.acct, c.region, R.rand(0, 2) if idx is None else idx)
        req = {"keyId": k}
        if extra:
            req.update(extra)
        return A("kms", name, ro, req, None, res=[{"accountId": c.acct, "type": "AWS::KMS::Key", "ARN": k}],
                 resource=k)
    return fn


_kms_key_call("DescribeKey", True)
_kms_key_call("GetKeyPolicy", True, {"policyName": "default"})
_kms_key_call("GetKeyRotationStatus", True)
_kms_key_call("ListResourceTags", True)
_kms_key_call("DisableKey", False)
_kms_key_call("EnableKey", False)


@tmpl("kms.ListAliases")
def _(c, **kw):
    return A("kms", "ListAliases", True, None, None, resource="*")


@tmpl("kms.ListKeys")
def _(c, **kw):
    return A("kms", "ListKeys", True, None, None, resource="*")


@tmpl("kms.ScheduleKeyDeletion")
def _(c, idx=2, days=7, **kw):
    k = key_arn(c.acct, c.region, idx)
    return A("kms", "ScheduleKeyDeletion", False, {"keyId": k, "pendingWindowInDays": days},
             {"keyId": k, "deletionDate": iamdate((c.t // 86400 + days + 1) * 86400), "keyState": "PendingDeletion",
              "pendingWindowInDays": days}, res=[{"accountId": c.acct, "type": "AWS::KMS::Key", "ARN": k}])


# ---- CloudWatch Logs / CloudWatch
@tmpl("logs.CreateLogStream")
def _(c, **kw):
    g = R.pick(c.p["loggroups"])
    return A("logs", "CreateLogStream", False,
             {"logGroupName": g, "logStreamName": f"{iso(c.t)[:10].replace('-', '/')}/[$LATEST]{R.hex(32)}"},
             None, near=[("ResourceAlreadyExistsException", "The specified log stream already exists", 0.01)],
             resource=f"arn:aws:logs:{c.region}:{c.acct}:log-group:{g}:log-stream:")


@tmpl("logs.DescribeLogGroups")
def _(c, **kw):
    return A("logs", "DescribeLogGroups", True, R.pick([{"limit": 50}, None, {"logGroupNamePrefix": "/aws/lambda/"}]),
             None, near=[p(THROTTLE, 0.01)], resource=f"arn:aws:logs:{c.region}:{c.acct}:log-group::log-stream:")


@tmpl("logs.DescribeLogStreams")
def _(c, **kw):
    return A("logs", "DescribeLogStreams", True, {"logGroupName": R.pick(c.p["loggroups"]), "orderBy": "LastEventTime",
                                                  "descending": True, "limit": 5}, None, near=[p(THROTTLE, 0.01)])


@tmpl("logs.FilterLogEvents")
def _(c, **kw):
    return A("logs", "FilterLogEvents", True, {"logGroupName": R.pick(c.p["loggroups"]),
                                               "startTime": (c.t - 3600) * 1000, "endTime": c.t * 1000,
                                               "filterPattern": "ERROR", "interleaved": True}, None,
             near=[p(THROTTLE, 0.01)])


@tmpl("logs.PutRetentionPolicy")
def _(c, **kw):
    return A("logs", "PutRetentionPolicy", False, {"logGroupName": R.pick(c.p["loggroups"]),
                                                   "retentionInDays": 30}, None)


@tmpl("monitoring.GetMetricData")
def _(c, **kw):
    return A("monitoring", "GetMetricData", True, {
        "metricDataQueries": [{"id": "m1", "metricStat": {"metric": {
            "namespace": "AWS/EC2", "metricName": "CPUUtilization",
            "dimensions": [{"name": "InstanceId", "value": R.pick(c.p["instances"])}]},
            "period": 300, "stat": "Average"}, "returnData": True}],
        "startTime": iamdate(c.t - 10800), "endTime": iamdate(c.t)}, None, near=[p(THROTTLE, 0.01)])


@tmpl("monitoring.ListMetrics")
def _(c, **kw):
    return A("monitoring", "ListMetrics", True, {"namespace": R.pick(["AWS/EC2", "AWS/Lambda", "AWS/S3"])},
             None, near=[p(THROTTLE, 0.01)], resource="*")


@tmpl("monitoring.DescribeAlarms")
def _(c, **kw):
    return A("monitoring", "DescribeAlarms", True, R.pick([{"maxRecords": 100}, None]), None, near=[p(THROTTLE, 0.01)])


@tmpl("monitoring.PutMetricAlarm")
def _(c, threshold=1.0, **kw):
    return A("monitoring", "PutMetricAlarm", False, {
        "alarmName": "UnauthorizedAPICalls", "metricName": "UnauthorizedAPICalls", "namespace": "CISBenchmark",
        "statistic": "Sum", "period": 300, "evaluationPeriods": 1, "threshold": threshold,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "alarmActions": [f"arn:aws:sns:{c.region}:{c.acct}:security-alerts"]}, None,
        near=[("InvalidParameterValue", "The parameter Period must be a multiple of 60.", 0.2)])


# ---- Lambda
@tmpl("lambda.ListFunctions20150331")
def _(c, **kw):
    return A("lambda", "ListFunctions20150331", True, None, None, resource="*")


@tmpl("lambda.GetFunction20150331v2")
def _(c, **kw):
    fn = R.pick(c.p["functions"])
    return A("lambda", "GetFunction20150331v2", True, {"functionName": fn}, None,
             near=[("ResourceNotFoundException", f"Function not found: arn:aws:lambda:{c.region}:{c.acct}:"
                                                 f"function:{fn}-v2", 0.02)],
             resource=f"arn:aws:lambda:{c.region}:{c.acct}:function:{fn}")


@tmpl("lambda.UpdateFunctionCode20150331v2")
def _(c, **kw):
    fn = R.pick(c.p["functions"])
    return A("lambda", "UpdateFunctionCode20150331v2", False,
             {"functionName": fn, "publish": False, "dryRun": False, "s3Bucket": R.pick(c.p["buckets"]),
              "s3Key": f"builds/{fn}-{R.hex(7)}.zip"},
             {"functionName": fn, "functionArn": f"arn:aws:lambda:{c.region}:{c.acct}:function:{fn}",
              "runtime": "python3.11", "handler": "app.handler", "codeSize": R.rand(5000, 4000000),
              "timeout": 30, "memorySize": 512, "version": "$LATEST", "state": "Active",
              "lastUpdateStatus": "InProgress", "architectures": ["arm64"]},
             resource=f"arn:aws:lambda:{c.region}:{c.acct}:function:{fn}")


# ---- CloudTrail
@tmpl("cloudtrail.DescribeTrails")
def _(c, **kw):
    return A("cloudtrail", "DescribeTrails", True, {"trailNameList": [], "includeShadowTrails": True}, None)


@tmpl("cloudtrail.GetTrailStatus")
def _(c, trail=MAIN_TRAIL, **kw):
    return A("cloudtrail", "GetTrailStatus", True, {"name": trail_arn(c.acct, trail)}, None,
             near=[("TrailNotFoundException", f"Unknown trail: {trail_arn(c.acct, 'old-trail')} for the user: "
                                              f"{c.acct}", 0.02)])


@tmpl("cloudtrail.GetEventSelectors")
def _(c, trail=MAIN_TRAIL, **kw):
    return A("cloudtrail", "GetEventSelectors", True, {"trailName": trail_arn(c.acct, trail)}, None)


@tmpl("cloudtrail.ListTags")
def _(c, **kw):
    return A("cloudtrail", "ListTags", True, {"resourceIdList": [trail_arn(c.acct)]}, None)


@tmpl("cloudtrail.LookupEvents")
def _(c, **kw):
    return A("cloudtrail", "LookupEvents", True, R.pick([
        {"maxResults": 50, "lookupAttributes": [{"attributeKey": "EventName", "attributeValue": "ConsoleLogin"}]},
        {"maxResults": 50, "lookupAttributes": [{"attributeKey": "EventName", "attributeValue": "StopLogging"}]},
        {"startTime": iamdate(c.t - 86400), "endTime": iamdate(c.t), "maxResults": 50}]), None,
        near=[p(THROTTLE, 0.04)])


def trail_resp(c, name, region, bucket, multi=True, validation=True):
    return {"name": name, "s3BucketName": bucket, "includeGlobalServiceEvents": multi,
            "isMultiRegionTrail": multi, "trailARN": trail_arn(c.acct, name, region),
            "logFileValidationEnabled": validation, "isOrganizationTrail": False}


@tmpl("cloudtrail.CreateTrail")
def _(c, trail="eu-data-events", **kw):
    return A("cloudtrail", "CreateTrail", False,
             {"name": trail, "s3BucketName": LOG_BUCKET, "includeGlobalServiceEvents": False,
              "isMultiRegionTrail": False, "enableLogFileValidation": True, "isOrganizationTrail": False},
             trail_resp(c, trail, c.region, LOG_BUCKET, multi=False),
             resource=trail_arn(c.acct, trail, c.region))


@tmpl("cloudtrail.UpdateTrail")
def _(c, trail=MAIN_TRAIL, **kw):
    return A("cloudtrail", "UpdateTrail", False,
             {"name": trail, "s3BucketName": LOG_BUCKET, "isMultiRegionTrail": True, "enableLogFileValidation": True,
              "kmsKeyId": f"arn:aws:kms:us-east-1:{c.acct}:alias/cloudtrail"},
             dict(trail_resp(c, trail, "us-east-1", LOG_BUCKET),
                  kmsKeyId=key_arn(c.acct, "us-east-1", 0)),
             resource=trail_arn(c.acct, trail))


@tmpl("cloudtrail.DeleteTrail")
def _(c, trail="eu-data-events", **kw):
    return A("cloudtrail", "DeleteTrail", False, {"name": trail_arn(c.acct, trail, c.region)}, None,
             resource=trail_arn(c.acct, trail, c.region))


@tmpl("cloudtrail.StopLogging")
def _(c, trail=MAIN_TRAIL, trail_region="us-east-1", **kw):
    return A("cloudtrail", "StopLogging", False, {"name": trail_arn(c.acct, trail, trail_region)}, None,
             resource=trail_arn(c.acct, trail, trail_region))


@tmpl("cloudtrail.StartLogging")
def _(c, trail=MAIN_TRAIL, trail_region="us-east-1", **kw):
    return A("cloudtrail", "StartLogging", False, {"name": trail_arn(c.acct, trail, trail_region)}, None,
             resource=trail_arn(c.acct, trail, trail_region))


@tmpl("cloudtrail.PutEventSelectors")
def _(c, trail=MAIN_TRAIL, trail_region="us-east-1", **kw):
    sel = [{"readWriteType": "All", "includeManagementEvents": True, "dataResources": [
        {"type": "AWS::S3::Object", "values": [f"arn:aws:s3:::{R.pick(c.p['buckets'])}/"]}],
        "excludeManagementEventSources": []}]
    return A("cloudtrail", "PutEventSelectors", False,
             {"trailName": trail, "eventSelectors": sel},
             {"trailARN": trail_arn(c.acct, trail, trail_region), "eventSelectors": sel})


@tmpl("cloudtrail.AddTags")
def _(c, trail="eu-data-events", **kw):
    return A("cloudtrail", "AddTags", False, {"resourceId": trail_arn(c.acct, trail, c.region),
                                              "tagsList": [{"key": "owner", "value": "platform-team"}]}, None)


# ---- Config
@tmpl("config.DescribeConfigRules")
def _(c, **kw):
    return A("config", "DescribeConfigRules", True, {"configRuleNames": []}, None)


@tmpl("config.DescribeConfigurationRecorderStatus")
def _(c, **kw):
    return A("config", "DescribeConfigurationRecorderStatus", True, {"configurationRecorderNames": []}, None)


@tmpl("config.PutEvaluations")
def _(c, **kw):
    return A("config", "PutEvaluations", False, {
        "evaluations": [{"complianceResourceType": "AWS::EC2::SecurityGroup",
                         "complianceResourceId": R.pick(c.p["sgs"]), "complianceType": "COMPLIANT",
                         "orderingTimestamp": iamdate(c.t - 60)}],
        "resultToken": "", "testMode": False}, {"failedEvaluations": []})


@tmpl("config.StopConfigurationRecorder")
def _(c, **kw):
    return A("config", "StopConfigurationRecorder", False, {"configurationRecorderName": "default"}, None)


@tmpl("config.StartConfigurationRecorder")
def _(c, **kw):
    return A("config", "StartConfigurationRecorder", False, {"configurationRecorderName": "default"}, None)


@tmpl("config.DeleteDeliveryChannel")
def _(c, **kw):
    return A("config", "DeleteDeliveryChannel", False, {"deliveryChannelName": "default"}, None)


@tmpl("config.PutConfigurationRecorder")
def _(c, **kw):
    return A("config", "PutConfigurationRecorder", False, {"configurationRecorder": {
        "name": "default", "roleARN": f"arn:aws:iam::{c.acct}:role/aws-service-role/config.amazonaws.com/"
                                      f"AWSServiceRoleForConfig",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True, "resourceTypes": []}}}, None)


# ---- Organizations (management account, us-east-1)
@tmpl("organizations.DescribeOrganization")
def _(c, **kw):
    return A("organizations", "DescribeOrganization", True, None, None, resource="*")


@tmpl("organizations.ListAccounts")
def _(c, **kw):
    return A("organizations", "ListAccounts", True, R.pick([None, {"maxResults": 20}]), None, resource="*")


@tmpl("organizations.ListRoots")
def _(c, **kw):
    return A("organizations", "ListRoots", True, None, None)


@tmpl("organizations.ListPoliciesForTarget")
def _(c, **kw):
    return A("organizations", "ListPoliciesForTarget", True, {"targetId": "ou-ex12-4a7bq9kd",
                                                              "filter": "SERVICE_CONTROL_POLICY"}, None)


@tmpl("organizations.CreatePolicy")
def _(c, **kw):
    content = ('{"Version":"2012-10-17","Statement":[{"Sid":"DenyLeaveOrg","Effect":"Deny",'
               '"Action":["organizations:LeaveOrganization","cloudtrail:StopLogging","cloudtrail:DeleteTrail"],'
               '"Resource":"*"}]}')
    pid = "p-" + R.s(string.ascii_lowercase + string.digits, 8)
    return A("organizations", "CreatePolicy", False,
             {"content": content, "description": "Protect CloudTrail and org membership",
              "name": "deny-cloudtrail-tamper", "type": "SERVICE_CONTROL_POLICY"},
             {"policy": {"policySummary": {"id": pid, "arn": f"arn:aws:organizations::{c.acct}:policy/{ORG_ID}/"
                                                             f"service_control_policy/{pid}",
                                           "name": "deny-cloudtrail-tamper",
                                           "description": "Protect CloudTrail and org membership",
                                           "type": "SERVICE_CONTROL_POLICY", "awsManaged": False},
                         "content": content}})


@tmpl("organizations.AttachPolicy")
def _(c, **kw):
    return A("organizations", "AttachPolicy", False, {"policyId": "p-x7k2m9qa", "targetId": "ou-ex12-4a7bq9kd"},
             None)


@tmpl("organizations.InviteAccountToOrganization")
def _(c, **kw):
    hid = "h-" + R.s(string.ascii_lowercase + string.digits, 10)
    return A("organizations", "InviteAccountToOrganization", False,
             {"target": {"id": OUTSIDE_ACCOUNT, "type": "ACCOUNT"}, "notes": "Welcome to Example Corp"},
             {"handshake": {"id": hid, "arn": f"arn:aws:organizations::{c.acct}:handshake/{ORG_ID}/invite/{hid}",
                            "parties": [{"id": "exampleorgid", "type": "ORGANIZATION"},
                                        {"id": OUTSIDE_ACCOUNT, "type": "ACCOUNT"}],
                            "state": "OPEN", "requestedTimestamp": iamdate(c.t),
                            "expirationTimestamp": iamdate(c.t + 15 * 86400), "action": "INVITE",
                            "resources": [{"value": "exampleorgid", "type": "ORGANIZATION"}]}})


# ---- SSM, Secrets Manager
@tmpl("ssm.UpdateInstanceInformation")
def _(c, instance=None, inst_ip=None, **kw):
    i = instance or R.pick(c.p["instances"])
    ip = inst_ip
    return A("ssm", "UpdateInstanceInformation", False, {
        "instanceId": i, "agentVersion": "3.3.40.0", "agentStatus": "Active", "platformType": "Linux",
        "platformName": "Amazon Linux", "platformVersion": "2023", "iPAddress": ip or "10.0.1.23",
        "computerName": f"ip-{(ip or '10.0.1.23').replace('.', '-')}.ec2.internal", "agentName": "amazon-ssm-agent",
        "availabilityZone": c.p["azs"][0], "availabilityZoneId": ("use1-az2" if c.region == "us-east-1"
                                                                   else "euw1-az1")}, None)


@tmpl("ssm.GetParameter")
def _(c, **kw):
    name = R.pick(["/app/prod/db-host", "/app/prod/feature-flags", "/aws/service/ami-amazon-linux-latest/"
                                                                   "al2023-ami-kernel-default-x86_64"])
    return A("ssm", "GetParameter", True, {"name": name, "withDecryption": False}, None,
             near=[("ParameterNotFound", "", 0.02)], resource=f"arn:aws:ssm:{c.region}:{c.acct}:parameter{name}")


@tmpl("ssm.ListInstanceAssociations")
def _(c, **kw):
    return A("ssm", "ListInstanceAssociations", True, {"instanceId": R.pick(c.p["instances"]), "maxResults": 20},
             None)


@tmpl("secretsmanager.GetSecretValue")
def _(c, **kw):
    s = R.pick(c.p["secrets"])
    arn = f"arn:aws:secretsmanager:{c.region}:{c.acct}:secret:{s}-{R.s(ALNUM, 6)}"
    return A("secretsmanager", "GetSecretValue", True, {"secretId": arn}, None,
             near=[("ResourceNotFoundException", "Secrets Manager can't find the specified secret.", 0.02)],
             resource=arn)


@tmpl("secretsmanager.ListSecrets")
def _(c, **kw):
    return A("secretsmanager", "ListSecrets", True, None, None, resource="*")


# ------------------------------------------------------------------- record assembly

def deny_message(src, who, action_name, resource):
    if src == "s3":
        return "Access Denied"
    prefix = IAM_PREFIX.get(src, src)
    act = f"{prefix}:{iam_action(action_name)}"
    msg = (f"User: {who.arn} is not authorized to perform: {act} on resource: {resource} "
           f"because no identity-based policy allows the {act} action")
    if src == "ec2":
        msg = "You are not authorized to perform this operation. " + msg
        if not action_name.startswith("Describe"):
            msg += ". Encoded authorization failure message: " + R.s(ALNUM + "-_", 96)
    return msg


def tls_for(src, region, host=None):
    if host is None:
        if src in ("iam",):
            host = "iam.amazonaws.com"
        elif src == "sts" and region == "us-east-1":
            host = "sts.amazonaws.com"
        elif src == "organizations":
            host = "organizations.us-east-1.amazonaws.com"
        else:
            host = f"{src}.{region}.amazonaws.com"
    v13 = R.chance(0.7)
    return {"tlsVersion": "TLSv1.3" if v13 else "TLSv1.2",
            "cipherSuite": "TLS_AES_128_GCM_SHA256" if v13 else "ECDHE-RSA-AES128-GCM-SHA256",
            "clientProvidedHostHeader": host}


def request_id(src):
    if src == "s3":
        return R.s(UPPER_ALNUM, 16)
    return R.uuid()


def make_record(acct, region, t, who, action, *, deny=False, near=0.0, error=None, ua=None, ip=None,
                vpce=None, shared=False, version=None, **kw):
    src = action.split(".", 1)[0]
    event_source, default_version, deny_code, _ = SERVICES[src]
    rid = request_id(src)
    c = Ctx(acct, region, t, rid, who)
    a = TEMPLATES[action](c, **kw)
    ua = ua or who.ua
    if "{cmd}" in ua:
        ua = ua.replace("{cmd}", f"{'s3api' if src == 's3' else IAM_PREFIX.get(src, src)}.{kebab(a['name'])}")
    if "{svc}" in ua:
        ua = ua.replace("{svc}", IAM_PREFIX.get(src, src))
    if deny:
        error = (deny if isinstance(deny, str) else deny_code,
                 deny_message(src, who, a["name"], a.get("resource", "*")))
    elif near:
        for code, msg, prob in a.get("near") or ():
            if R.chance(prob * near):
                error = (code, msg)
                break
    rec = {"eventVersion": version or default_version, "userIdentity": who.identity, "eventTime": iso(t),
           "eventSource": event_source, "eventName": a["name"], "awsRegion": region,
           "sourceIPAddress": ip or who.ip, "userAgent": ua}
    if error:
        rec["errorCode"] = error[0]
        if error[1] is not None and error[1] != "":
            rec["errorMessage"] = error[1]
    rec["requestParameters"] = a["req"]
    rec["responseElements"] = None if error else a["resp"]
    if a.get("aed") is not None:
        rec["additionalEventData"] = a["aed"]
    rec["requestID"] = rid
    rec["eventID"] = R.uuid()
    rec["readOnly"] = a["ro"]
    if a.get("res"):
        rec["resources"] = a["res"]
    rec["eventType"] = "AwsApiCall"
    rec["managementEvent"] = not a.get("data", False)
    rec["recipientAccountId"] = acct
    if shared:
        rec["sharedEventID"] = R.uuid()
    if vpce:
        rec["vpcEndpointId"] = vpce
    rec["eventCategory"] = "Data" if a.get("data") else "Management"
    if who.kind != "AWSService" and not (ip or who.ip).endswith(".amazonaws.com") and R.chance(0.85):
        rec["tlsDetails"] = tls_for(src, region, a.get("host"))
    if who.console:
        rec["sessionCredentialFromConsole"] = "true"
    return rec


def console_login(acct, t, who, success, mfa_used, ip, ua, login_to=None):
    rec = {"eventVersion": "1.08", "userIdentity": who.identity, "eventTime": iso(t),
           "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": "us-east-1",
           "sourceIPAddress": ip, "userAgent": ua}
    if not success:
        rec["errorMessage"] = "Failed authentication"
    rec["requestParameters"] = None
    rec["responseElements"] = {"ConsoleLogin": "Success" if success else "Failure"}
    rec["additionalEventData"] = {
        "LoginTo": login_to or "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true"
                               "&state=hashArgsFromTB_us-east-1_" + R.hex(16),
        "MobileVersion": "No", "MFAUsed": mfa_used}
    rec["eventID"] = R.uuid()
    rec["readOnly"] = False
    rec["eventType"] = "AwsConsoleSignIn"
    rec["managementEvent"] = True
    rec["recipientAccountId"] = acct
    rec["eventCategory"] = "Management"
    rec["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                         "clientProvidedHostHeader": "signin.aws.amazon.com"}
    return rec


def service_assume_role(acct, region, t, service, role, session):
    who = who_service(service)
    rec = make_record(acct, region, t, who, "sts.AssumeRole", role=role, session=session, duration=None)
    rec["sharedEventID"] = R.uuid()
    # keep CloudTrail's key order: sharedEventID sits before eventCategory
    cat = rec.pop("eventCategory")
    rec["eventCategory"] = cat
    return rec


def rotate_key_event(acct, region, t):
    k = key_arn(acct, region, 0)
    return {"eventVersion": "1.08", "userIdentity": {"accountId": acct, "invokedBy": "kms.amazonaws.com"},
            "eventTime": iso(t), "eventSource": "kms.amazonaws.com", "eventName": "RotateKey", "awsRegion": region,
            "sourceIPAddress": "kms.amazonaws.com", "userAgent": "kms.amazonaws.com", "requestParameters": None,
            "responseElements": None, "eventID": R.uuid(), "readOnly": False,
            "resources": [{"accountId": acct, "type": "AWS::KMS::Key", "ARN": k}], "eventType": "AwsServiceEvent",
            "managementEvent": True, "recipientAccountId": acct,
            "serviceEventDetails": {"keyId": POOL[(acct, region)]["keys"][0]}, "eventCategory": "Management"}


def cross_account_assume(acct, region, t, role, session, from_account=VENDOR_ACCOUNT, ip=None, ua=UA_VENDOR):
    ident = {"type": "AWSAccount", "principalId": "AIDA" + R.s(B32, 17), "accountId": from_account}
    who = Who(ident, "AWSAccount", ip or VENDOR_IPS[0], ua, arn=f"arn:aws:iam::{from_account}:root")
    return make_record(acct, region, t, who, "sts.AssumeRole", role=role, session=session, shared=True,
                       external_id="examplecorp-7f3e2a91")


# ------------------------------------------------------------------- S3 layout: activity

class Sink:
    """Collects S3-layout records per (account, region)."""

    def __init__(self):
        self.items = collections.defaultdict(list)
        self.seq = 0

    def add(self, rec, late=None, ascii_escape=False):
        acct, region = rec["recipientAccountId"], rec["awsRegion"]
        t = calendar.timegm(time.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ"))
        if not (DAY0 <= t < END):
            return False
        self.seq += 1
        self.items[(acct, region)].append({"t": t, "seq": self.seq, "rec": rec, "late": late,
                                           "ascii": ascii_escape})
        return True


SINK = Sink()


def is_global_action(action):
    return SERVICES[action.split(".", 1)[0]][3]


def run_session(acct, region, t, who, actions, *, gap=(1, 20), deny_p=0.0, near_p=1.0, deny_only=None,
                late_p=0.012, ascii_escape=False, vpce=None, **kw):
    """Emit a burst of calls by one principal; returns the time after the last call."""
    for action in actions:
        if is_global_action(action) and region != "us-east-1":
            continue
        deny = bool(deny_p) and R.chance(deny_p) and (deny_only is None or action in deny_only)
        rec = make_record(acct, region, t, who, action, deny=deny, near=near_p, vpce=vpce, **kw)
        SINK.add(rec, late="maybe" if R.chance(late_p) else None, ascii_escape=ascii_escape)
        t += R.rand(*gap)
    return t


def fail_record(rec, code, msg):
    """Turn a successful record into a failed one, keeping CloudTrail's key order."""
    out = {}
    for k, v in rec.items():
        if k == "requestParameters":
            out["errorCode"] = code
            if msg:
                out["errorMessage"] = msg
        out[k] = v
    out["responseElements"] = None
    return out


CONSOLE_READS = [
    ("ec2.DescribeInstances", 6), ("ec2.DescribeSecurityGroups", 3), ("ec2.DescribeVpcs", 2),
    ("ec2.DescribeSubnets", 2), ("ec2.DescribeVolumes", 2), ("ec2.DescribeInstanceStatus", 3),
    ("ec2.DescribeAvailabilityZones", 1), ("s3.ListBuckets", 3), ("s3.GetBucketLocation", 2),
    ("s3.GetBucketAcl", 1), ("s3.GetBucketVersioning", 1), ("s3.GetBucketPolicy", 1),
    ("s3.GetBucketEncryption", 1), ("s3.GetBucketPublicAccessBlock", 1), ("iam.ListRoles", 2),
    ("iam.GetRole", 2), ("iam.ListAttachedRolePolicies", 2), ("iam.ListUsers", 1), ("iam.GetAccountSummary", 1),
    ("iam.ListPolicies", 1), ("cloudtrail.DescribeTrails", 1), ("cloudtrail.GetTrailStatus", 1),
    ("cloudtrail.LookupEvents", 2), ("monitoring.DescribeAlarms", 2), ("monitoring.GetMetricData", 4),
    ("logs.DescribeLogGroups", 2), ("logs.FilterLogEvents", 2), ("lambda.ListFunctions20150331", 2),
    ("lambda.GetFunction20150331v2", 1), ("kms.ListAliases", 1), ("kms.DescribeKey", 1),
    ("config.DescribeConfigRules", 1), ("config.DescribeConfigurationRecorderStatus", 1),
]
DEV_CALLS = [
    ("ec2.DescribeInstances", 5), ("ec2.DescribeSecurityGroups", 2), ("ec2.DescribeImages", 1),
    ("ec2.CreateTags", 1), ("ec2.StopInstances", 1), ("s3.ListBuckets", 2), ("s3.GetBucketLocation", 1),
    ("s3.GetObject", 2), ("sts.GetCallerIdentity", 3), ("logs.FilterLogEvents", 3), ("logs.DescribeLogStreams", 2),
    ("lambda.GetFunction20150331v2", 2), ("lambda.UpdateFunctionCode20150331v2", 1), ("ssm.GetParameter", 2),
    ("secretsmanager.GetSecretValue", 1), ("iam.GetUser", 1), ("monitoring.GetMetricData", 1),
    ("kms.Decrypt", 1), ("cloudtrail.LookupEvents", 1), ("iam.ListRoles", 1),
]
DEV_DENIABLE = {"ec2.StopInstances", "ec2.DescribeImages", "iam.ListRoles", "lambda.UpdateFunctionCode20150331v2",
                "secretsmanager.GetSecretValue", "s3.GetObject", "kms.Decrypt", "cloudtrail.LookupEvents",
                "ec2.CreateTags", "ssm.GetParameter"}
TF_PLAN = [
    ("ec2.DescribeVpcs", 3), ("ec2.DescribeSubnets", 4), ("ec2.DescribeSecurityGroups", 5),
    ("ec2.DescribeRouteTables", 2), ("ec2.DescribeNetworkAcls", 1), ("ec2.DescribeInternetGateways", 1),
    ("ec2.DescribeInstances", 3), ("ec2.DescribeImages", 1), ("ec2.DescribeVolumes", 1),
    ("ec2.DescribeNetworkInterfaces", 1), ("iam.GetRole", 4), ("iam.ListAttachedRolePolicies", 3),
    ("iam.ListRolePolicies", 3), ("iam.GetPolicy", 2), ("iam.GetPolicyVersion", 2), ("s3.GetBucketAcl", 2),
    ("s3.GetBucketPolicy", 2), ("s3.GetBucketVersioning", 2), ("s3.GetBucketTagging", 2),
    ("s3.GetBucketLogging", 1), ("s3.GetBucketLifecycle", 1), ("s3.GetBucketCors", 1), ("s3.GetBucketWebsite", 1),
    ("s3.GetBucketEncryption", 2), ("s3.GetBucketPublicAccessBlock", 1), ("kms.DescribeKey", 2),
    ("kms.GetKeyPolicy", 1), ("kms.GetKeyRotationStatus", 1), ("kms.ListResourceTags", 1),
    ("logs.DescribeLogGroups", 2), ("lambda.GetFunction20150331v2", 2), ("cloudtrail.DescribeTrails", 1),
    ("cloudtrail.GetTrailStatus", 1), ("cloudtrail.GetEventSelectors", 1), ("cloudtrail.ListTags", 1),
]
CONFIG_SWEEP = [
    ("ec2.DescribeInstances", 2), ("ec2.DescribeSecurityGroups", 2), ("ec2.DescribeVpcs", 1),
    ("ec2.DescribeSubnets", 1), ("ec2.DescribeNetworkAcls", 1), ("ec2.DescribeRouteTables", 1),
    ("ec2.DescribeInternetGateways", 1), ("ec2.DescribeVolumes", 1), ("ec2.DescribeNetworkInterfaces", 1),
    ("s3.GetBucketAcl", 2), ("s3.GetBucketPolicy", 2), ("s3.GetBucketVersioning", 1), ("s3.GetBucketEncryption", 1),
    ("s3.GetBucketLogging", 1), ("s3.GetBucketPublicAccessBlock", 1), ("iam.GetRole", 1),
    ("iam.ListAttachedRolePolicies", 1), ("iam.GetPolicy", 1), ("kms.DescribeKey", 1),
    ("kms.GetKeyRotationStatus", 1), ("lambda.GetFunction20150331v2", 1),
]
VENDOR_CALLS = [
    ("monitoring.GetMetricData", 6), ("monitoring.ListMetrics", 3), ("ec2.DescribeInstances", 2),
    ("ec2.DescribeVolumes", 1), ("lambda.ListFunctions20150331", 1), ("s3.ListBuckets", 1),
    ("logs.DescribeLogGroups", 1),
]


def draw(pairs, n):
    return [R.wpick(pairs) for _ in range(n)]


def business_rate(region, hour_of_day, peak):
    lo, hi = (13, 22) if region == "us-east-1" else (7, 17)
    if lo <= hour_of_day < hi:
        return peak
    if lo - 1 <= hour_of_day < hi + 1:
        return peak * 0.3
    return peak * 0.03


def hours():
    for h in range(NDAYS * 24):
        yield h, DAY0 + h * 3600, h % 24


def gen_routine():
    a1, a2 = ACCOUNTS
    for acct in ACCOUNTS:
        big = acct == a1
        for region in REGIONS:
            p = POOL[(acct, region)]
            # AWS Config sweeps: every 3 hours, offset per account/region.
            offset = R.rand(5, 170)
            for h, t0, _ in hours():
                if h % 3 == 0:
                    t = t0 + offset * 60 + R.rand(0, 40)
                    who = who_role(acct, "AWSServiceRoleForConfig", "AWSConfig-Describe", t, "config.amazonaws.com",
                                   "config.amazonaws.com", path="/aws-service-role/config.amazonaws.com/",
                                   invoked_by="config.amazonaws.com")
                    run_session(acct, region, t, who, draw(CONFIG_SWEEP, R.rand(10, 30)), gap=(0, 5), near_p=1.0)
            # Human sessions.
            for h, t0, hod in hours():
                for kind, peak in (("console", 0.6 if big else 0.3), ("dev", 0.5 if big else 0.35),
                                   ("tf", 0.3 if big else 0.2)):
                    for _ in range(R.poisson(business_rate(region, hod, peak))):
                        t = t0 + R.rand(0, 3599)
                        if kind == "console":
                            role = R.wpick([(SSO_ADMIN, 1), (SSO_READONLY, 2)])
                            person = R.pick(["jane.doe@example.com", "raj.patel@example.com",
                                             "li.wei@example.com"] if big else
                                            ["carol.smith@example.com", "tom.berg@example.com"])
                            who = who_role(acct, role, person, t, R.pick(OFFICE_IPS + HOME_IPS),
                                           R.pick([UA_CONSOLE, UA_CONSOLE, UA_BROWSER, UA_BROWSER_WIN]),
                                           path=SSO_PATH, console=True)
                            run_session(acct, region, t, who, draw(CONSOLE_READS, R.rand(8, 36)), gap=(1, 20))
                        elif kind == "dev":
                            name = R.pick(["bob", "alice"] if big else ["carol", "dave"])
                            who = who_user(acct, name, t, R.pick(OFFICE_IPS + HOME_IPS),
                                           R.pick([UA_CLI_LINUX, UA_CLI_MAC]))
                            run_session(acct, region, t, who, draw(DEV_CALLS, R.rand(2, 12)), gap=(2, 30),
                                        deny_p=0.10, deny_only=DEV_DENIABLE)
                        else:
                            ci = who_user(acct, "ci-deploy", t, CI_IP, UA_CLI_LINUX)
                            sess = f"gitlab-ci-{R.rand(100000, 999999)}"
                            SINK.add(make_record(acct, region, t, ci, "sts.AssumeRole", role="terraform-deploy",
                                                 session=sess))
                            who = who_role(acct, "terraform-deploy", sess, t, CI_IP, UA_TF, created=t)
                            calls = ["sts.GetCallerIdentity"] + draw(TF_PLAN, R.rand(25, 75))
                            run_session(acct, region, t + 2, who, calls, gap=(0, 2), near_p=1.0)
            # Applications running around the clock.
            if acct == a1 and region == "us-east-1":
                # order-processor lambda, hourly at :20; busier during US business hours
                for h, t0, hod in hours():
                    for m in (20,):
                        t = t0 + m * 60 + R.rand(0, 50)
                        if R.chance(0.85):
                            SINK.add(service_assume_role(acct, region, t, "lambda.amazonaws.com",
                                                         "order-processor-role", "order-processor"))
                        who = who_role(acct, "order-processor-role", "order-processor", t, "44.201.17.5",
                                       UA_BOTO_LAMBDA)
                        acts = ["logs.CreateLogStream", "kms.Decrypt", "secretsmanager.GetSecretValue"]
                        for _ in range(R.rand(3, 8) if 13 <= hod < 23 else R.rand(0, 2)):
                            acts += ["kms.GenerateDataKey", "s3.PutObject"]
                        run_session(acct, region, t + 1, who, acts, gap=(0, 3), near_p=1.5,
                                    ctx={"aws:lambda:FunctionArn":
                                         f"arn:aws:lambda:{region}:{acct}:function:order-processor"})
                # app servers: instance role through a VPC endpoint, every 2 hours at :21
                for h, t0, hod in hours():
                    if h % 2 == 0:
                        t = t0 + 1260 + R.rand(0, 100)
                        i = p["instances"][h % 3]
                        who = who_role(acct, "app-server-role", i, t, f"10.0.{1 + h % 3}.{20 + h % 7}", UA_JAVA,
                                       ec2=True)
                        run_session(acct, region, t, who, ["kms.Decrypt", "s3.GetObject", "s3.GetObject",
                                                           "ssm.GetParameter"], gap=(0, 2),
                                    vpce="vpce-0a1b2c3d4e5f60718")
                        ssm = who_role(acct, "AmazonSSMRoleForInstancesQuickSetup", i, t,
                                       f"10.0.{1 + h % 3}.{20 + h % 7}", UA_SSM, ec2=True)
                        run_session(acct, region, t + 40, ssm, ["ssm.UpdateInstanceInformation",
                                                                "ssm.ListInstanceAssociations"],
                                    instance=i, inst_ip=f"10.0.{1 + h % 3}.{20 + h % 7}")
                # svc-reporting: every 2 hours at :22 from its app server (its key is later used by an attacker)
                for h, t0, hod in hours():
                    if h % 2 == 1:
                        t = t0 + 1320 + R.rand(0, 90)
                        who = who_user(acct, "svc-reporting", t, "54.210.33.18", UA_JAVA)
                        run_session(acct, region, t, who, ["s3.ListBuckets", "s3.GetObject", "s3.PutObject"],
                                    gap=(1, 4), bucket="examplecorp-prod-reports")
            if acct == a1 and region == "eu-west-1":
                # backup verifier, every 3 hours at :45
                for h, t0, hod in hours():
                    if h % 3 == 0:
                        t = t0 + 2700 + R.rand(0, 60)
                        SINK.add(service_assume_role(acct, region, t, "lambda.amazonaws.com",
                                                     "backup-verifier-role", "backup-verifier"))
                        who = who_role(acct, "backup-verifier-role", "backup-verifier", t, "34.245.10.77",
                                       UA_BOTO_LAMBDA)
                        run_session(acct, region, t + 1, who, ["logs.CreateLogStream", "ec2.DescribeSnapshots",
                                                               "s3.GetObject", "kms.Decrypt"], gap=(0, 3))
            if acct == a2 and region == "us-east-1":
                # cost-reporter: every 4 hours; it keeps calling an Organizations API it can't use.
                for h, t0, hod in hours():
                    if h % 4 == 1:
                        t = t0 + 300 + R.rand(0, 60)
                        SINK.add(service_assume_role(acct, region, t, "lambda.amazonaws.com",
                                                     "cost-reporter-role", "cost-reporter"))
                        who = who_role(acct, "cost-reporter-role", "cost-reporter", t, "3.85.112.9", UA_BOTO_LAMBDA)
                        t = run_session(acct, region, t + 1, who, ["logs.CreateLogStream", "monitoring.GetMetricData"],
                                        gap=(0, 2))
                        SINK.add(make_record(acct, region, t, who, "organizations.ListAccounts", deny=True))
                        run_session(acct, region, t + 1, who, ["s3.PutObject"], bucket="examplecorp-staging-uploads")
            if acct == a2:
                # monitoring vendor polls every 2 hours in each region; it lacks logs:DescribeLogGroups.
                off = 900 if region == "us-east-1" else 2100
                for h, t0, hod in hours():
                    if h % 2 == 0:
                        t = t0 + off + R.rand(0, 60)
                        ip = R.pick(VENDOR_IPS)
                        sess = f"examplevendor-{R.hex(12)}"
                        SINK.add(cross_account_assume(acct, region, t, "ExampleVendorIntegrationRole", sess, ip=ip))
                        who = who_role(acct, "ExampleVendorIntegrationRole", sess, t, ip, UA_VENDOR)
                        run_session(acct, region, t + 1, who, draw(VENDOR_CALLS, R.rand(5, 14)), gap=(0, 3),
                                    deny_p=0.5, deny_only={"logs.DescribeLogGroups"})
            if acct == a2 and region == "eu-west-1":
                # an in-house report job whose User-Agent has non-ASCII characters (written \u-escaped)
                for h, t0, hod in hours():
                    if h % 3 == 2:
                        t = t0 + 2100 + R.rand(0, 120)
                        who = who_role(acct, "reporting-batch-role", "rapport-general", t, "52.49.200.14",
                                       UA_BOTO_REPORT)
                        run_session(acct, region, t, who, ["sts.GetCallerIdentity", "s3.GetObject",
                                                           "s3.PutObject"], gap=(1, 5), ascii_escape=True,
                                    bucket="examplecorp-staging-eu-reports")
                        if h % 12 == 2:
                            # tag values with raw UTF-8
                            SINK.add(make_record(acct, region, t + 20, who, "ec2.CreateTags",
                                                 value=R.pick(["Équipe Données", "Zürich-Außenstelle",
                                                               "données-clients"]), key="Team"))


def gen_scenarios():
    a1, a2 = ACCOUNTS
    # S1: alice signs in with MFA and turns on log file validation + data events on the main trail.
    t = at(1, 14, 6, 12)
    alice_c = who_user(a1, "alice", t + 10, OFFICE_IPS[0], UA_BROWSER, console=True, mfa=True)
    SINK.add(console_login(a1, t, who_user(a1, "alice", t, OFFICE_IPS[0], UA_BROWSER), True, "Yes", OFFICE_IPS[0],
                           UA_BROWSER))
    t = run_session(a1, "us-east-1", t + 40, Who(alice_c.identity, "IAMUser", OFFICE_IPS[0], UA_CONSOLE, console=True),
                    ["cloudtrail.DescribeTrails", "cloudtrail.GetTrailStatus", "cloudtrail.GetEventSelectors"],
                    gap=(3, 15), near_p=0, late_p=0)
    console_alice = Who(alice_c.identity, "IAMUser", OFFICE_IPS[0], UA_CONSOLE, console=True)
    SINK.add(make_record(a1, "us-east-1", t + 30, console_alice, "cloudtrail.UpdateTrail"))
    SINK.add(make_record(a1, "us-east-1", t + 95, console_alice, "cloudtrail.PutEventSelectors"))

    # S2: terraform creates a regional trail in eu-west-1 and destroys it the next morning.
    t = at(1, 16, 40, 3)
    tf = who_role(a1, "terraform-deploy", "gitlab-ci-4471203", t, CI_IP, UA_TF)
    for i, action in enumerate(["cloudtrail.CreateTrail", "cloudtrail.AddTags", "cloudtrail.PutEventSelectors",
                                "cloudtrail.StartLogging"]):
        SINK.add(make_record(a1, "eu-west-1", t + i * 2, tf, action, trail="eu-data-events",
                             trail_region="eu-west-1"))
    t = at(2, 10, 5, 41)
    tf = who_role(a1, "terraform-deploy", "gitlab-ci-4479926", t, CI_IP, UA_TF)
    SINK.add(make_record(a1, "eu-west-1", t, tf, "cloudtrail.DeleteTrail", trail="eu-data-events"))

    # S3: just before midnight an admin in staging stops the trail, then restarts it; CloudTrail
    # delivers both records late, in files dated 2024-03-02.
    t = at(1, 23, 44, 12)
    carol = who_role(a2, SSO_ADMIN, "carol.smith@example.com", t, HOME_IPS[1], UA_CONSOLE, path=SSO_PATH,
                     console=True)
    SINK.add(make_record(a2, "us-east-1", t - 50, carol, "cloudtrail.GetTrailStatus"))
    SINK.add(make_record(a2, "us-east-1", t, carol, "cloudtrail.StopLogging"), late="force")
    SINK.add(make_record(a2, "us-east-1", at(1, 23, 58, 40), carol, "cloudtrail.StartLogging"), late="force")
    SINK.add(make_record(a2, "us-east-1", at(1, 23, 59, 2), carol, "cloudtrail.GetTrailStatus"), late="force")
    # nightly backup job in staging around midnight (guarantees files to carry the late records)
    t = at(1, 23, 57, 30)
    bk = who_role(a2, "nightly-backup-role", "nightly-backup", t, "3.85.112.9", UA_BOTO_LAMBDA)
    run_session(a2, "us-east-1", t, bk, ["sts.GetCallerIdentity", "ec2.DescribeInstances"], gap=(5, 20), late_p=0)
    t = at(2, 0, 2, 5)
    run_session(a2, "us-east-1", t, bk, ["ec2.DescribeVolumes", "ec2.DescribeSnapshots", "s3.ListBuckets",
                                         "kms.DescribeKey"], gap=(20, 60), late_p=0)
    run_session(a2, "us-east-1", at(2, 0, 9, 30), bk, ["ec2.DescribeSnapshots", "s3.PutObject",
                                                       "kms.GenerateDataKey"], gap=(30, 90), late_p=0,
                bucket="examplecorp-staging-uploads")
    run_session(a2, "us-east-1", at(2, 0, 16, 10), bk, ["s3.PutObject", "logs.CreateLogStream"], gap=(30, 60),
                late_p=0, bucket="examplecorp-staging-uploads")

    # S4: incident. svc-reporting's access key is used from an unknown host to enumerate the account:
    # 12 authorization failures within three minutes, one of them a StopLogging attempt.
    t = at(2, 3, 11, 40)
    atk = who_user(a1, "svc-reporting", t, ATTACKER_IP, UA_KALI)
    SINK.add(make_record(a1, "us-east-1", t, atk, "sts.GetCallerIdentity"))
    SINK.add(make_record(a1, "us-east-1", t + 12, atk, "s3.ListBuckets"))
    burst = ["iam.ListUsers", "iam.ListRoles", "iam.GetAccountAuthorizationDetails", "ec2.DescribeInstances",
             "ec2.DescribeSecurityGroups", "s3.GetBucketPolicy", "s3.GetBucketAcl", "kms.ListKeys",
             "secretsmanager.ListSecrets", "lambda.ListFunctions20150331", "organizations.DescribeOrganization",
             "cloudtrail.StopLogging"]
    offsets = [0, 9, 21, 30, 38, 52, 61, 77, 96, 118, 140, 165]        # 03:12:05 .. 03:14:50
    for action, off in zip(burst, offsets):
        SINK.add(make_record(a1, "us-east-1", at(2, 3, 12, 5) + off, atk, action, deny=True,
                             bucket="examplecorp-prod-tfstate"))
    SINK.add(make_record(a1, "us-east-1", at(2, 3, 15, 31), atk, "ec2.DescribeRegions"))
    SINK.add(make_record(a1, "eu-west-1", at(2, 3, 16, 12), atk, "ec2.DescribeInstances", deny=True))
    SINK.add(make_record(a1, "us-east-1", at(2, 3, 16, 40), atk, "s3.GetObject", bucket="examplecorp-prod-reports",
                         key="reports/daily/customers-2024-03-01.parquet"))

    # S5: failed console sign-ins, then success without MFA.
    ip = "198.51.100.99"
    for i, (name, ok) in enumerate([("bob", False), ("bob", False), ("HIDDEN_DUE_TO_SECURITY_REASONS", False),
                                    ("bob", False), ("bob", True)]):
        t = at(2, 7, 48, 3) + i * 71
        if name.startswith("HIDDEN"):
            who = Who({"type": "IAMUser", "accountId": a1, "accessKeyId": "", "userName": name}, "IAMUser", ip,
                      UA_BROWSER_WIN)
        else:
            who = who_user(a1, name, t, ip, UA_BROWSER_WIN)
            who.identity = dict(who.identity, accessKeyId="")
        SINK.add(console_login(a1, t, who, ok, "No", ip, UA_BROWSER_WIN))

    # S6: root signs in to staging and changes things.
    t = at(2, 9, 30, 14)
    SINK.add(console_login(a2, t, who_root(a2, t, HOME_IPS[0], UA_BROWSER, console_signin=True), True, "Yes",
                           HOME_IPS[0], UA_BROWSER,
                           login_to="https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true"
                                    "&nc2=h_ct&src=header-signin&state=hashArgsFromTB_us-east-1_" + R.hex(16)))
    root = who_root(a2, t + 30, HOME_IPS[0], UA_CONSOLE)
    run_session(a2, "us-east-1", t + 45, root, ["iam.GetAccountSummary", "iam.ListMFADevices",
                                                 "iam.GetAccountPasswordPolicy", "s3.ListBuckets",
                                                 "s3.PutBucketPublicAccessBlock"], gap=(10, 40), near_p=0, late_p=0,
                bucket="examplecorp-staging-uploads")

    # S7: security-relevant changes sprinkled over the two days.
    cu = who_user(a2, "carol", at(1, 15, 30), OFFICE_IPS[2], UA_CLI_MAC)
    SINK.add(make_record(a2, "eu-west-1", at(1, 15, 30, 44), cu, "ec2.AuthorizeSecurityGroupIngress", port=22,
                         sg=POOL[(a2, "eu-west-1")]["sgs"][0]))
    SINK.add(make_record(a2, "eu-west-1", at(1, 17, 10, 2), cu, "ec2.RevokeSecurityGroupIngress", port=22,
                         sg=POOL[(a2, "eu-west-1")]["sgs"][0]))
    SINK.add(fail_record(make_record(a2, "eu-west-1", at(1, 17, 10, 19), cu, "ec2.RevokeSecurityGroupIngress",
                                     port=22, sg=POOL[(a2, "eu-west-1")]["sgs"][0]),
                         "Client.InvalidPermission.NotFound", "The specified rule does not exist in this security "
                                                              "group."))
    t = at(1, 19, 20, 7)
    tf = who_role(a1, "terraform-deploy", "gitlab-ci-4472810", t, CI_IP, UA_TF)
    for i, action in enumerate(["iam.CreatePolicy", "iam.AttachRolePolicy", "iam.PutRolePolicy"]):
        SINK.add(make_record(a1, "us-east-1", t + i * 2, tf, action, role="app-server-role",
                             policy=f"arn:aws:iam::{a1}:policy/s3-reports-writer"))
    for i, action in enumerate(["ec2.CreateVpc", "ec2.CreateInternetGateway", "ec2.AttachInternetGateway",
                                "ec2.CreateRouteTable", "ec2.CreateRoute", "ec2.CreateNetworkAcl",
                                "ec2.CreateNetworkAclEntry", "ec2.CreateNetworkAclEntry", "ec2.CreateSecurityGroup",
                                "ec2.AuthorizeSecurityGroupIngress"]):
        kw = {"rule": 100 + i, "port": 443, "cidr": "10.0.0.0/8"}
        SINK.add(make_record(a1, "us-east-1", t + 10 + i * 3, tf, action, **kw))
    alice = who_user(a1, "alice", at(2, 11, 15), OFFICE_IPS[1], UA_CLI_MAC)
    SINK.add(make_record(a1, "eu-west-1", at(2, 11, 15, 9), alice, "kms.DisableKey", idx=2))
    SINK.add(make_record(a1, "eu-west-1", at(2, 11, 16, 30), alice, "kms.ScheduleKeyDeletion", idx=2, days=7))
    carol = who_role(a2, SSO_ADMIN, "carol.smith@example.com", at(2, 13, 40), OFFICE_IPS[2], UA_CONSOLE,
                     path=SSO_PATH, console=True)
    SINK.add(make_record(a2, "us-east-1", at(2, 13, 40, 51), carol, "config.StopConfigurationRecorder"))
    SINK.add(make_record(a2, "us-east-1", at(2, 14, 10, 5), carol, "config.PutConfigurationRecorder"))
    SINK.add(make_record(a2, "us-east-1", at(2, 14, 10, 48), carol, "config.StartConfigurationRecorder"))
    alice = who_user(a1, "alice", at(2, 15, 5), OFFICE_IPS[1], UA_CLI_MAC)
    SINK.add(make_record(a1, "us-east-1", at(2, 15, 5, 33), alice, "s3.PutBucketPolicy",
                         bucket="examplecorp-prod-reports"))
    SINK.add(make_record(a1, "us-east-1", at(2, 16, 20, 8), alice, "s3.DeleteBucketPolicy",
                         bucket="examplecorp-prod-reports"))
    jane = who_role(a1, SSO_ADMIN, "jane.doe@example.com", at(1, 18, 0), OFFICE_IPS[0], UA_CONSOLE, path=SSO_PATH,
                    console=True)
    run_session(a1, "us-east-1", at(1, 18, 0, 12), jane, ["organizations.DescribeOrganization",
                                                          "organizations.ListAccounts", "organizations.ListRoots",
                                                          "organizations.ListPoliciesForTarget",
                                                          "organizations.CreatePolicy", "organizations.AttachPolicy"],
                gap=(5, 30), near_p=0, late_p=0)
    SINK.add(make_record(a1, "us-east-1", at(2, 12, 30, 3), jane, "organizations.InviteAccountToOrganization"))
    carol_u = who_user(a2, "carol", at(2, 17, 45), OFFICE_IPS[2], UA_CLI_MAC)
    for i, action in enumerate(["iam.PutUserPolicy", "iam.DetachUserPolicy", "iam.CreateAccessKey"]):
        SINK.add(make_record(a2, "us-east-1", at(2, 17, 45, 10) + i * 35, carol_u, action, user="dave"))
    tf2 = who_role(a2, "terraform-deploy", "gitlab-ci-5510022", at(2, 16, 2), CI_IP, UA_TF)
    SINK.add(make_record(a2, "us-east-1", at(2, 16, 2, 40), tf2, "cloudtrail.UpdateTrail"))
    mon = who_role(a1, SSO_ADMIN, "raj.patel@example.com", at(1, 21, 0), OFFICE_IPS[1], UA_CONSOLE, path=SSO_PATH,
                   console=True)
    SINK.add(fail_record(make_record(a1, "eu-west-1", at(1, 21, 0, 33), mon, "monitoring.PutMetricAlarm"),
                         "InvalidParameterValue", "The parameter Period must be a multiple of 60."))
    SINK.add(make_record(a1, "eu-west-1", at(1, 21, 2, 5), mon, "monitoring.PutMetricAlarm"))
    SINK.add(rotate_key_event(a1, "us-east-1", at(1, 4, 17, 31)))
    SINK.add(rotate_key_event(a2, "eu-west-1", at(2, 5, 2, 9)))


# ------------------------------------------------------------- S3 layout: delivery

def dumps_record(rec, ascii_escape):
    return json.dumps(rec, separators=(",", ":"), ensure_ascii=ascii_escape)


def assign_files():
    """Group records into delivered files: returns a list of file dicts."""
    files = []
    for (acct, region) in [(a, r) for a in ACCOUNTS for r in REGIONS]:
        items = sorted(SINK.items[(acct, region)], key=lambda it: (it["t"], it["seq"]))
        late, windows = [], collections.OrderedDict()
        for it in items:
            if it["late"]:
                late.append(it)
            else:
                windows.setdefault(it["t"] // WINDOW, []).append(it)

        def new_file(w, recs):
            end = (w + 1) * WINDOW
            d_min = end // 60 + R.rand(1, 10)
            d_min = min(d_min, (DAY0 + NDAYS * 86400) // 60 - 1)     # nothing delivered after day 2
            f = {"acct": acct, "region": region, "delivery": d_min * 60, "items": list(recs), "late": [],
                 "org": False}
            files.append(f)
            by_window[w] = f
            return f

        by_window = {}
        mine = [new_file(w, recs) for w, recs in sorted(windows.items())]
        for it in late:
            target = it["t"] + R.rand(LATE_MIN + 60, LATE_MAX - 60)
            cands = [f for f in mine if it["t"] + LATE_MIN <= f["delivery"] <= it["t"] + LATE_MAX]
            if cands:
                best = min(cands, key=lambda f: (abs(f["delivery"] - target), f["delivery"]))
                best["late"].append(it)           # late records come after the file's sorted ones
                continue
            if it["late"] == "force":
                raise SystemExit(f"no file can carry the forced-late record at {iso(it['t'])} "
                                 f"for {acct}/{region}")
            w = it["t"] // WINDOW
            if w in by_window:
                by_window[w]["items"].append(it)
                by_window[w]["items"].sort(key=lambda x: (x["t"], x["seq"]))
            else:
                mine.append(new_file(w, [it]))
        for f in mine:
            f["items"] = f["items"] + f.pop("late")
    files.sort(key=lambda f: (f["acct"], f["region"], f["delivery"]))
    # A handful of staging eu-west-1 files (the first five delivered from 2024-03-02 11:00 UTC on)
    # arrive through the organization trail instead; their events are not duplicated elsewhere.
    org = [f for f in files if f["acct"] == ACCOUNTS[1] and f["region"] == "eu-west-1"
           and f["delivery"] >= at(2, 11, 0)][:5]
    for f in org:
        f["org"] = True
    for f in files:
        f["suffix"] = R.s(ALNUM, 16)
        stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(f["delivery"]))
        ymd = time.strftime("%Y/%m/%d", time.gmtime(f["delivery"]))
        prefix = f"AWSLogs/{ORG_ID}/{f['acct']}" if f["org"] else f"AWSLogs/{f['acct']}"
        f["key"] = (f"{prefix}/CloudTrail/{f['region']}/{ymd}/{f['acct']}_CloudTrail_{f['region']}_{stamp}_"
                    f"{f['suffix']}.json.gz")
        body = '{"Records":[' + ",".join(dumps_record(it["rec"], it["ascii"]) for it in f["items"]) + "]}"
        f["body"] = body.encode("utf-8")
    return files


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def write(path: pathlib.Path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def make_digest(files):
    acct, region = ACCOUNTS[0], "us-east-1"
    end = at(1, 15, 19, 47)
    start = end - 3600
    listed = [f for f in files if f["acct"] == acct and f["region"] == region and not f["org"]
              and start <= f["delivery"] < end]
    log_files = []
    for f in listed:
        ts = [it["t"] for it in f["items"]]
        log_files.append({"s3Bucket": LOG_BUCKET, "s3Object": f["key"],
                          "hashValue": hashlib.sha256(f["body"]).hexdigest(), "hashAlgorithm": "SHA-256",
                          "newestEventTime": iso(max(ts)), "oldestEventTime": iso(min(ts))})

    def digest_key(t):
        ymd = time.strftime("%Y/%m/%d", time.gmtime(t))
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))
        return (f"AWSLogs/{acct}/CloudTrail-Digest/{region}/{ymd}/{acct}_CloudTrail-Digest_{region}_{MAIN_TRAIL}_"
                f"{region}_{stamp}.json.gz")

    all_ts = [it["t"] for f in listed for it in f["items"]]
    body = {"awsAccountId": acct, "digestStartTime": iso(start), "digestEndTime": iso(end),
            "digestS3Bucket": LOG_BUCKET, "digestS3Object": digest_key(end),
            "digestPublicKeyFingerprint": R.hex(32), "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": iso(max(all_ts)), "oldestEventTime": iso(min(all_ts)),
            "previousDigestS3Bucket": LOG_BUCKET, "previousDigestS3Object": digest_key(start),
            "previousDigestHashValue": R.hex(64), "previousDigestHashAlgorithm": "SHA-256",
            "previousDigestSignature": R.hex(512), "logFiles": log_files}
    return digest_key(end), json.dumps(body, separators=(",", ":")).encode("utf-8"), len(log_files)


# ------------------------------------------------------------------ events.jsonl

def curated():
    """Hand-picked records for filter-pattern demos; returns (list of (record, ascii_escape))."""
    a1, a2 = ACCOUNTS
    out = []

    def add(rec, ascii_escape=False):
        out.append((rec, ascii_escape))

    U = "us-east-1"
    E = "eu-west-1"
    t = at(1, 8, 0, 4)
    # --- routine noise
    cfg = who_role(a1, "AWSServiceRoleForConfig", "AWSConfig-Describe", t, "config.amazonaws.com",
                   "config.amazonaws.com", path="/aws-service-role/config.amazonaws.com/",
                   invoked_by="config.amazonaws.com")
    add(make_record(a1, U, at(1, 8, 0, 4), cfg, "ec2.DescribeInstances"))
    add(make_record(a1, U, at(1, 8, 0, 6), cfg, "ec2.DescribeSecurityGroups"))
    add(fail_record(make_record(a1, U, at(1, 8, 0, 9), cfg, "s3.GetBucketPolicy", bucket="examplecorp-prod-assets"),
                    "NoSuchBucketPolicy", "The bucket policy does not exist"))
    add(make_record(a1, U, at(1, 8, 0, 11), cfg, "iam.GetRole"))
    add(service_assume_role(a1, U, at(1, 8, 20, 2), "lambda.amazonaws.com", "order-processor-role",
                            "order-processor"))
    lam = who_role(a1, "order-processor-role", "order-processor", at(1, 8, 20), "44.201.17.5", UA_BOTO_LAMBDA)
    add(make_record(a1, U, at(1, 8, 20, 3), lam, "logs.CreateLogStream"))
    add(make_record(a1, U, at(1, 8, 20, 4), lam, "kms.Decrypt",
                    ctx={"aws:lambda:FunctionArn": f"arn:aws:lambda:{U}:{a1}:function:order-processor"}))
    add(make_record(a1, U, at(1, 8, 20, 5), lam, "secretsmanager.GetSecretValue"))
    add(fail_record(make_record(a1, U, at(1, 8, 20, 6), lam, "kms.GenerateDataKey"), *THROTTLE))
    add(make_record(a1, U, at(1, 8, 20, 7), lam, "s3.PutObject", bucket="examplecorp-prod-reports",
                    key="exports/2024/03/orders-0801.csv.gz"))
    app = who_role(a1, "app-server-role", POOL[(a1, U)]["instances"][0], at(1, 8, 31), "10.0.1.23", UA_JAVA, ec2=True)
    add(make_record(a1, U, at(1, 8, 31, 15), app, "s3.GetObject", bucket="examplecorp-prod-assets",
                    key="config/app-settings.json", vpce="vpce-0a1b2c3d4e5f60718"))
    ssm = who_role(a1, "AmazonSSMRoleForInstancesQuickSetup", POOL[(a1, U)]["instances"][0], at(1, 8, 31),
                   "10.0.1.23", UA_SSM, ec2=True)
    add(make_record(a1, U, at(1, 8, 31, 40), ssm, "ssm.UpdateInstanceInformation",
                    instance=POOL[(a1, U)]["instances"][0], inst_ip="10.0.1.23"))
    add(rotate_key_event(a1, U, at(1, 8, 44, 2)))
    vendor_sess = "examplevendor-" + R.hex(12)
    add(cross_account_assume(a2, U, at(1, 9, 0, 1), "ExampleVendorIntegrationRole", vendor_sess))
    ven = who_role(a2, "ExampleVendorIntegrationRole", vendor_sess, at(1, 9, 0), VENDOR_IPS[0], UA_VENDOR)
    add(make_record(a2, U, at(1, 9, 0, 2), ven, "monitoring.GetMetricData"))
    add(make_record(a2, U, at(1, 9, 0, 5), ven, "ec2.DescribeInstances"))

    # --- console sign-ins
    ip = "198.51.100.99"
    for i in range(3):
        w = who_user(a1, "bob", at(1, 9, 10), ip, UA_BROWSER_WIN)
        w.identity = dict(w.identity, accessKeyId="")
        add(console_login(a1, at(1, 9, 10, 5) + i * 40, w, False, "No", ip, UA_BROWSER_WIN))
    hid = Who({"type": "IAMUser", "accountId": a1, "accessKeyId": "", "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"},
              "IAMUser", ip, UA_BROWSER_WIN)
    add(console_login(a1, at(1, 9, 12, 30), hid, False, "No", ip, UA_BROWSER_WIN))
    w = who_user(a1, "bob", at(1, 9, 13), ip, UA_BROWSER_WIN)
    w.identity = dict(w.identity, accessKeyId="")
    add(console_login(a1, at(1, 9, 13, 10), w, True, "No", ip, UA_BROWSER_WIN))
    w = who_user(a1, "alice", at(1, 9, 20), OFFICE_IPS[0], UA_BROWSER)
    w.identity = dict(w.identity, accessKeyId="")
    add(console_login(a1, at(1, 9, 20, 44), w, True, "Yes", OFFICE_IPS[0], UA_BROWSER))
    sso = who_role(a2, SSO_ADMIN, "carol.smith@example.com", at(1, 9, 25), OFFICE_IPS[2], UA_BROWSER, path=SSO_PATH)
    sso.identity = dict(sso.identity)
    del sso.identity["sessionContext"]
    sso.identity["accessKeyId"] = ""
    add(console_login(a2, at(1, 9, 25, 3), sso, True, "No", OFFICE_IPS[2], UA_BROWSER,
                      login_to="https://console.aws.amazon.com/console/home?region=us-east-1"))
    add(console_login(a2, at(1, 9, 31, 17), who_root(a2, at(1, 9, 31), HOME_IPS[0], UA_BROWSER, True), True, "Yes",
                      HOME_IPS[0], UA_BROWSER))
    root = who_root(a2, at(1, 9, 32), HOME_IPS[0], UA_CONSOLE)
    add(make_record(a2, U, at(1, 9, 32, 2), root, "iam.GetAccountSummary"))
    add(make_record(a2, U, at(1, 9, 33, 40), root, "s3.PutBucketPublicAccessBlock", bucket="examplecorp-staging-uploads"))
    # root action performed by an AWS service on root's behalf (CIS root filter excludes it)
    rs = who_root(a2, at(1, 9, 35), "support.amazonaws.com", "support.amazonaws.com")
    rs.identity = dict(rs.identity, invokedBy="support.amazonaws.com")
    rs.console = False
    add(make_record(a2, U, at(1, 9, 35, 12), rs, "iam.GetAccountPasswordPolicy"))

    # --- scattered authorization failures (singles)
    bob = who_user(a1, "bob", at(1, 9, 50), OFFICE_IPS[1], UA_CLI_LINUX)
    add(make_record(a1, U, at(1, 9, 50, 31), bob, "ec2.StopInstances", deny=True))
    add(make_record(a1, U, at(1, 10, 2, 7), bob, "s3.GetObject", deny=True, bucket="examplecorp-prod-tfstate",
                    key="env/prod/terraform.tfstate"))
    add(make_record(a1, U, at(1, 10, 14, 55), bob, "iam.ListRoles", deny=True))
    add(make_record(a1, E, at(1, 10, 25, 9), bob, "kms.Decrypt", deny=True))
    add(make_record(a1, E, at(1, 10, 40, 3), bob, "lambda.UpdateFunctionCode20150331v2", deny=True))
    add(make_record(a1, U, at(1, 10, 52, 48), bob, "sts.AssumeRole", deny=True, role="OrganizationAccountAccessRole",
                    session="bob-admin"))
    add(make_record(a2, U, at(1, 11, 5, 0), who_role(a2, "cost-reporter-role", "cost-reporter", at(1, 11, 5),
                                                     "3.85.112.9", UA_BOTO_LAMBDA),
                    "organizations.ListAccounts", deny=True))
    add(make_record(a2, E, at(1, 11, 15, 30), who_role(a2, "ExampleVendorIntegrationRole", vendor_sess, at(1, 11, 15),
                                                       VENDOR_IPS[1], UA_VENDOR),
                    "logs.DescribeLogGroups", deny=True))

    # --- near misses for the unauthorized filter
    add(fail_record(make_record(a1, U, at(1, 11, 20, 4), lam, "kms.Decrypt"), *THROTTLE))
    add(fail_record(make_record(a1, U, at(1, 11, 21, 40), bob, "s3.GetBucketAcl", bucket="examplecorp-prod-asset"),
                    "NoSuchBucket", "The specified bucket does not exist"))
    mon = who_role(a1, SSO_ADMIN, "raj.patel@example.com", at(1, 11, 30), OFFICE_IPS[1], UA_CONSOLE, path=SSO_PATH,
                   console=True)
    add(fail_record(make_record(a1, E, at(1, 11, 30, 33), mon, "monitoring.PutMetricAlarm", threshold=1.0),
                    "InvalidParameterValue", "The parameter Period must be a multiple of 60."))
    carol = who_user(a2, "carol", at(1, 11, 40), OFFICE_IPS[2], UA_CLI_MAC)
    add(fail_record(make_record(a2, E, at(1, 11, 40, 12), carol, "ec2.RevokeSecurityGroupIngress", port=3389),
                    "Client.InvalidPermission.NotFound", "The specified rule does not exist in this security group."))
    add(fail_record(make_record(a2, E, at(1, 11, 41, 2), carol, "ec2.DescribeInstances"), *EC2_THROTTLE))
    add(fail_record(make_record(a2, U, at(1, 11, 45, 19), carol, "iam.GetUser"), "NoSuchEntityException",
                    "The user with name dave2 cannot be found."))
    # Cognito: unauthenticated caller, identity type Unknown, NotAuthorizedException (not a CIS match)
    add({"eventVersion": "1.08", "userIdentity": {"type": "Unknown", "principalId": "Anonymous"},
         "eventTime": iso(at(1, 11, 50, 27)), "eventSource": "cognito-idp.amazonaws.com",
         "eventName": "InitiateAuth", "awsRegion": E, "sourceIPAddress": "192.0.2.140", "userAgent": UA_BROWSER,
         "errorCode": "NotAuthorizedException", "errorMessage": "Incorrect username or password.",
         "requestParameters": {"authFlow": "USER_SRP_AUTH", "authParameters": "HIDDEN_DUE_TO_SECURITY_REASONS",
                               "clientMetadata": {}, "clientId": "4kqf3h1v2example7s0a9m5tq1"},
         "responseElements": None, "additionalEventData": {"userPoolId": "eu-west-1_AbCdEfGhI",
                                                           "responseErrorCode": "400"},
         "requestID": R.uuid(), "eventID": R.uuid(), "readOnly": False, "eventType": "AwsApiCall",
         "managementEvent": True, "recipientAccountId": a2, "eventCategory": "Management"})

    # --- the incident: 12 authorization failures within three minutes from one key and address
    atk = who_user(a1, "svc-reporting", at(1, 12, 2), ATTACKER_IP, UA_KALI)
    add(make_record(a1, U, at(1, 12, 1, 40), atk, "sts.GetCallerIdentity"))
    add(make_record(a1, U, at(1, 12, 1, 52), atk, "s3.ListBuckets"))
    burst = ["iam.ListUsers", "iam.ListRoles", "iam.GetAccountAuthorizationDetails", "ec2.DescribeInstances",
             "ec2.DescribeSecurityGroups", "s3.GetBucketPolicy", "s3.GetBucketAcl", "kms.ListKeys",
             "secretsmanager.ListSecrets", "lambda.ListFunctions20150331", "organizations.DescribeOrganization",
             "iam.CreateAccessKey"]
    offsets = [0, 8, 19, 27, 35, 49, 58, 74, 93, 115, 139, 171]      # 12:02:05 .. 12:04:56
    for action, off in zip(burst, offsets):
        add(make_record(a1, U, at(1, 12, 2, 5) + off, atk, action, deny=True, bucket="examplecorp-prod-tfstate",
                        user="svc-reporting"))
    add(make_record(a1, U, at(1, 12, 5, 20), atk, "ec2.DescribeRegions"))

    # --- CloudTrail configuration changes and their near misses
    alice = who_user(a1, "alice", at(1, 13, 0), OFFICE_IPS[0], UA_CONSOLE, console=True, mfa=True)
    add(make_record(a1, U, at(1, 13, 0, 15), alice, "cloudtrail.DescribeTrails"))
    add(make_record(a1, U, at(1, 13, 0, 31), alice, "cloudtrail.GetTrailStatus"))
    add(make_record(a1, U, at(1, 13, 1, 2), alice, "cloudtrail.LookupEvents"))
    add(make_record(a1, U, at(1, 13, 1, 48), alice, "cloudtrail.GetEventSelectors"))
    add(make_record(a1, U, at(1, 13, 2, 40), alice, "cloudtrail.UpdateTrail"))
    add(make_record(a1, U, at(1, 13, 3, 5), alice, "cloudtrail.PutEventSelectors"))
    tf = who_role(a1, "terraform-deploy", "gitlab-ci-4470031", at(1, 13, 20), CI_IP, UA_TF)
    add(make_record(a1, E, at(1, 13, 20, 1), tf, "cloudtrail.CreateTrail", trail="eu-data-events"))
    add(make_record(a1, E, at(1, 13, 20, 3), tf, "cloudtrail.AddTags", trail="eu-data-events"))
    add(make_record(a1, E, at(1, 13, 20, 5), tf, "cloudtrail.StartLogging", trail="eu-data-events",
                    trail_region=E))
    carol_sso = who_role(a2, SSO_ADMIN, "carol.smith@example.com", at(1, 13, 40), HOME_IPS[1], UA_CONSOLE,
                         path=SSO_PATH, console=True)
    add(make_record(a2, U, at(1, 13, 40, 12), carol_sso, "cloudtrail.StopLogging"))
    add(make_record(a2, U, at(1, 13, 55, 40), carol_sso, "cloudtrail.StartLogging"))
    add(make_record(a1, U, at(1, 14, 2, 9), atk, "cloudtrail.StopLogging", deny=True))   # matches both filters
    add(fail_record(make_record(a1, E, at(1, 14, 10, 0), tf, "cloudtrail.GetTrailStatus", trail="old-trail"),
                    "TrailNotFoundException",
                    f"Unknown trail: {trail_arn(a1, 'old-trail')} for the user: {a1}"))
    add(make_record(a1, E, at(1, 14, 30, 44), tf, "cloudtrail.DeleteTrail", trail="eu-data-events"))

    # --- IAM policy changes (one via Organizations with the same eventName as IAM's)
    add(make_record(a1, U, at(1, 15, 0, 3), tf, "iam.CreatePolicy"))
    add(make_record(a1, U, at(1, 15, 0, 5), tf, "iam.AttachRolePolicy", role="app-server-role",
                    policy=f"arn:aws:iam::{a1}:policy/s3-reports-writer"))
    add(make_record(a1, U, at(1, 15, 0, 8), tf, "iam.PutRolePolicy"))
    add(make_record(a1, U, at(1, 15, 0, 10), tf, "iam.CreatePolicyVersion"))
    add(make_record(a2, U, at(1, 15, 10, 22), carol, "iam.PutUserPolicy", user="dave"))
    add(make_record(a2, U, at(1, 15, 11, 1), carol, "iam.DetachUserPolicy", user="dave"))
    add(make_record(a2, U, at(1, 15, 12, 30), carol, "iam.DeleteUserPolicy", user="dave"))
    jane = who_role(a1, SSO_ADMIN, "jane.doe@example.com", at(1, 15, 20), OFFICE_IPS[0], UA_CONSOLE, path=SSO_PATH,
                    console=True)
    add(make_record(a1, U, at(1, 15, 20, 10), jane, "organizations.DescribeOrganization"))
    add(make_record(a1, U, at(1, 15, 20, 41), jane, "organizations.CreatePolicy"))
    add(make_record(a1, U, at(1, 15, 21, 5), jane, "organizations.AttachPolicy"))
    add(make_record(a1, U, at(1, 15, 25, 50), jane, "organizations.InviteAccountToOrganization"))

    # --- security groups, NACLs, gateways, route tables, VPCs
    add(make_record(a2, E, at(1, 16, 0, 44), carol, "ec2.AuthorizeSecurityGroupIngress", port=22))
    add(make_record(a2, E, at(1, 16, 1, 30), carol, "ec2.AuthorizeSecurityGroupEgress", port=443))
    add(make_record(a2, E, at(1, 16, 5, 2), carol, "ec2.RevokeSecurityGroupIngress", port=22))
    add(make_record(a1, U, at(1, 16, 10, 0), tf, "ec2.CreateSecurityGroup"))
    add(make_record(a1, U, at(1, 16, 10, 4), tf, "ec2.CreateVpc"))
    add(make_record(a1, U, at(1, 16, 10, 6), tf, "ec2.ModifyVpcAttribute"))
    add(make_record(a1, U, at(1, 16, 10, 9), tf, "ec2.CreateInternetGateway"))
    add(make_record(a1, U, at(1, 16, 10, 11), tf, "ec2.AttachInternetGateway"))
    add(make_record(a1, U, at(1, 16, 10, 14), tf, "ec2.CreateRouteTable"))
    add(make_record(a1, U, at(1, 16, 10, 16), tf, "ec2.CreateRoute"))
    add(make_record(a1, U, at(1, 16, 10, 19), tf, "ec2.ReplaceRouteTableAssociation"))
    add(make_record(a1, U, at(1, 16, 10, 22), tf, "ec2.CreateNetworkAcl"))
    add(make_record(a1, U, at(1, 16, 10, 25), tf, "ec2.CreateNetworkAclEntry", rule=100, port=443))
    add(make_record(a1, U, at(1, 16, 10, 27), tf, "ec2.ReplaceNetworkAclAssociation"))
    add(make_record(a1, U, at(1, 16, 15, 40), tf, "ec2.CreateCustomerGateway"))
    add(make_record(a1, U, at(1, 16, 16, 3), tf, "ec2.CreateVpcPeeringConnection"))
    add(make_record(a2, E, at(1, 16, 30, 9), carol, "ec2.DeleteNetworkAclEntry"))
    add(make_record(a2, E, at(1, 16, 31, 55), carol, "ec2.DeleteVpc"))

    # --- KMS, S3 bucket policy, Config
    alice_cli = who_user(a1, "alice", at(1, 17, 0), OFFICE_IPS[1], UA_CLI_MAC)
    add(make_record(a1, E, at(1, 17, 0, 12), alice_cli, "kms.DisableKey", idx=2))
    add(make_record(a1, E, at(1, 17, 1, 3), alice_cli, "kms.ScheduleKeyDeletion", idx=2, days=7))
    add(make_record(a1, U, at(1, 17, 10, 40), alice_cli, "s3.PutBucketPolicy", bucket="examplecorp-prod-reports"))
    add(make_record(a1, U, at(1, 17, 12, 2), alice_cli, "s3.PutBucketAcl", bucket="examplecorp-prod-assets"))
    add(make_record(a1, U, at(1, 17, 30, 19), alice_cli, "s3.DeleteBucketPolicy", bucket="examplecorp-prod-reports"))
    add(make_record(a2, U, at(1, 17, 40, 51), carol_sso, "config.StopConfigurationRecorder"))
    add(make_record(a2, U, at(1, 17, 41, 33), carol_sso, "config.DeleteDeliveryChannel"))

    # --- JSON edge cases
    rep = who_role(a2, "reporting-batch-role", "rapport-general", at(1, 18, 0), "52.49.200.14", UA_BOTO_REPORT)
    add(make_record(a2, E, at(1, 18, 0, 7), rep, "sts.GetCallerIdentity"), ascii_escape=True)   # \u00e9 escapes
    add(make_record(a2, E, at(1, 18, 0, 9), rep, "ec2.CreateTags", key="Team", value="Équipe Données Zürich"))
    add(make_record(a2, E, at(1, 18, 0, 12), rep, "s3.PutObject", bucket="examplecorp-staging-eu-reports",
                    key="rapports/2024/mars/résumé-général.pdf"))
    add(make_record(a2, E, at(1, 18, 0, 15), rep, "s3.GetObject", bucket="examplecorp-staging-eu-reports",
                    key="rapports/2024/février/synthèse.csv"), ascii_escape=True)
    v6 = who_user(a1, "alice", at(1, 18, 20), "2001:db8:4f2a:100::17", UA_CLI_MAC)
    add(make_record(a1, U, at(1, 18, 20, 5), v6, "ec2.DescribeInstances"))
    add(make_record(a1, U, at(1, 18, 21, 0), v6, "monitoring.PutMetricAlarm", threshold=10.0))
    # --- a little more routine noise late in the day
    add(make_record(a1, U, at(1, 19, 0, 0), cfg, "s3.GetBucketVersioning", bucket="examplecorp-prod-assets"))
    add(make_record(a1, U, at(1, 19, 5, 5), bob, "sts.GetCallerIdentity"))
    add(make_record(a1, U, at(1, 19, 5, 30), bob, "s3.ListBuckets"))
    add(make_record(a1, U, at(1, 19, 6, 1), bob, "iam.ListAttachedRolePolicies"))
    add(make_record(a2, U, at(1, 19, 30, 2), ven, "ec2.DescribeVolumes"))

    out.sort(key=lambda p: p[0]["eventTime"])     # stable: same-second records keep their order
    return out


# ---------------------------------------------------------------- counting (plain)

def is_unauthorized(rec):
    code = rec.get("errorCode")
    return isinstance(code, str) and (code.endswith("UnauthorizedOperation") or code.startswith("AccessDenied"))


def is_cloudtrail_change(rec):
    return rec.get("eventName") in ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")


def is_console_failure(rec):
    return rec.get("eventName") == "ConsoleLogin" and rec.get("errorMessage") == "Failed authentication"


def is_root_usage(rec):
    ui = rec.get("userIdentity") or {}
    return ui.get("type") == "Root" and "invokedBy" not in ui and rec.get("eventType") != "AwsServiceEvent"


FILTERS = (("unauthorized_api_calls", is_unauthorized), ("cloudtrail_cfg_changes", is_cloudtrail_change))
EXTRA = (("console_signin_failures", is_console_failure), ("root_account_usage", is_root_usage))


def epoch(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


class Tally:
    def __init__(self):
        self.total = 0
        self.by_account = collections.Counter()
        self.by_region = collections.Counter()
        self.by_day = collections.Counter()
        self.buckets = collections.Counter()
        self.matches = []

    def add(self, rec, where=None):
        t = epoch(rec["eventTime"])
        self.matches.append({"eventTime": rec["eventTime"], "account": rec["recipientAccountId"],
                             "region": rec["awsRegion"], "eventName": rec["eventName"],
                             "errorCode": rec.get("errorCode"), "where": where})
        self.total += 1
        self.by_account[rec["recipientAccountId"]] += 1
        self.by_region[rec["awsRegion"]] += 1
        self.by_day[rec["eventTime"][:10]] += 1
        self.buckets[t // WINDOW] += 1

    def as_dict(self, full=True):
        d = {"total": self.total, "buckets": len(self.buckets),
             "max_per_bucket": max(self.buckets.values(), default=0)}
        if full:
            d["by_account"] = {a: self.by_account.get(a, 0) for a in ACCOUNTS}
            d["by_region"] = {r: self.by_region.get(r, 0) for r in REGIONS}
            d["by_day"] = {day: self.by_day.get(day, 0) for day in days()}
        return d


def days():
    return [time.strftime("%Y-%m-%d", time.gmtime(DAY0 + i * 86400)) for i in range(NDAYS)]


def count_from_disk():
    """Read everything back from sample-data/ and count with plain logic."""
    logs = digests = org = events = late = cross_day = 0
    min_lag, max_lag = None, None
    tallies = {name: Tally() for name, _ in FILTERS}
    extras = {name: 0 for name, _ in EXTRA}
    by_account = collections.Counter()
    by_region = collections.Counter()
    by_day = collections.Counter()
    aws = OUT / "AWSLogs"
    for path in sorted(p for p in aws.rglob("*") if p.is_file()):
        key = path.relative_to(OUT).as_posix()
        m = LOG_KEY_RE.match(key)
        if m:
            orgid, acct, region, y, mo, d, stamp = m.groups()
            if f"{y}{mo}{d}" != stamp[:8]:
                raise SystemExit(f"{key}: date folder does not match the file name")
            delivery = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%MZ"))
            doc = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
            if list(doc) != ["Records"] or not isinstance(doc["Records"], list) or not doc["Records"]:
                raise SystemExit(f"{key}: not a non-empty {{\"Records\":[...]}} document")
            logs += 1
            org += bool(orgid)
            for rec in doc["Records"]:
                if rec["recipientAccountId"] != acct or rec["awsRegion"] != region:
                    raise SystemExit(f"{key}: record for {rec['recipientAccountId']}/{rec['awsRegion']}")
                events += 1
                lag = delivery - epoch(rec["eventTime"])
                min_lag = lag if min_lag is None else min(min_lag, lag)
                max_lag = lag if max_lag is None else max(max_lag, lag)
                late += lag > MAX_LAG
                cross_day += rec["eventTime"][:10].replace("-", "") != stamp[:8]
                by_account[acct] += 1
                by_region[region] += 1
                by_day[rec["eventTime"][:10]] += 1
                for name, fn in FILTERS:
                    if fn(rec):
                        tallies[name].add(rec, key)
                for name, fn in EXTRA:
                    extras[name] += bool(fn(rec))
            continue
        if DIGEST_KEY_RE.match(key):
            doc = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
            if "Records" in doc or "logFiles" not in doc:
                raise SystemExit(f"{key}: not a digest")
            for lf in doc["logFiles"]:
                body = gzip.decompress((OUT / lf["s3Object"]).read_bytes())
                if hashlib.sha256(body).hexdigest() != lf["hashValue"]:
                    raise SystemExit(f"{key}: hash mismatch for {lf['s3Object']}")
            digests += 1
            continue
        raise SystemExit(f"unexpected file {key}")
    s3 = {"files": logs, "org_trail_files": org, "digest_files": digests, "events": events,
          "events_by_account": {a: by_account.get(a, 0) for a in ACCOUNTS},
          "events_by_region": {r: by_region.get(r, 0) for r in REGIONS},
          "events_by_day": {d: by_day.get(d, 0) for d in days()},
          "late_events": late, "events_in_other_day_files": cross_day,
          "delivery_lag_seconds": {"min": min_lag, "max": max_lag}}
    for name, _ in FILTERS:
        s3[name] = tallies[name].as_dict()
    s3["cloudtrail_cfg_changes"]["events"] = sorted(
        ({k: v for k, v in m.items() if k != "where"} | {"file_date": m["where"].split("/CloudTrail/")[1][10:20]}
         for m in tallies["cloudtrail_cfg_changes"].matches), key=lambda m: (m["eventTime"], m["account"]))
    for name, _ in EXTRA:
        s3[name] = {"total": extras[name]}

    lines = (OUT / "events.jsonl").read_bytes().decode("utf-8").split("\n")
    if lines[-1] != "":
        raise SystemExit("events.jsonl: missing final newline")
    recs = [json.loads(line) for line in lines[:-1]]
    times = [r["eventTime"] for r in recs]
    if times != sorted(times):
        raise SystemExit("events.jsonl: not ordered by eventTime")
    ej = {"records": len(recs)}
    for name, fn in FILTERS:
        t = Tally()
        for r in recs:
            if fn(r):
                t.add(r)
        ej[name] = t.as_dict()
        if name == "cloudtrail_cfg_changes":
            ej[name]["events"] = [{k: v for k, v in m.items() if k != "where"} for m in t.matches]
    for name, fn in EXTRA:
        ej[name] = {"total": sum(1 for r in recs if fn(r))}
    return {"s3_layout": s3, "events_jsonl": ej}


# -------------------------------------------------------------------- documents

def expected_md(x):
    s3, ej = x["s3_layout"], x["events_jsonl"]
    L = ["# Expected counts for sample-data/", "",
         "Generated by `scripts/make-sample-data.py` from the files it wrote, read back and counted with plain",
         "Python (no filter-pattern engine). Machine-readable copy: `expected.json`.", "",
         "Definitions:", "",
         "- **unauthorized_api_calls**: `errorCode` ends with `UnauthorizedOperation` or starts with "
         "`AccessDenied`",
         "  (CIS: `{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }`).",
         "- **cloudtrail_cfg_changes**: `eventName` is one of CreateTrail, UpdateTrail, DeleteTrail, StartLogging,",
         "  StopLogging.",
         "- Accounts are `recipientAccountId`, regions `awsRegion`, days the UTC date of `eventTime`; a *bucket* is",
         "  `floor(epoch(eventTime) / 300)`, and *buckets* is the number of distinct buckets with at least one",
         "  match; *max/bucket* is the largest number of matches in one bucket.",
         "- Extra: **console_signin_failures** = `eventName` ConsoleLogin and `errorMessage` \"Failed "
         "authentication\";",
         "  **root_account_usage** = `userIdentity.type` Root, no `userIdentity.invokedBy`, `eventType` not "
         "AwsServiceEvent.", "",
         "## S3 layout (`AWSLogs/`)", "",
         "| | count |", "|---|---:|",
         f"| log files | {s3['files']} |",
         f"| &nbsp;&nbsp;of which under the organization-trail prefix `{ORG_ID}/` | {s3['org_trail_files']} |",
         f"| digest files | {s3['digest_files']} |",
         f"| events | {s3['events']} |"]
    for a in ACCOUNTS:
        L.append(f"| &nbsp;&nbsp;events in {a} | {s3['events_by_account'][a]} |")
    for r in REGIONS:
        L.append(f"| &nbsp;&nbsp;events in {r} | {s3['events_by_region'][r]} |")
    for d in days():
        L.append(f"| &nbsp;&nbsp;events on {d} | {s3['events_by_day'][d]} |")
    L += [f"| late events (delivered more than 15 minutes after eventTime) | {s3['late_events']} |",
          f"| events in a file whose date folder is not their eventTime's date | "
          f"{s3['events_in_other_day_files']} |",
          f"| delivery lag, seconds (min / max) | {s3['delivery_lag_seconds']['min']} / "
          f"{s3['delivery_lag_seconds']['max']} |", ""]

    def filt_table(sec):
        head = ["filter", "total"] + list(ACCOUNTS) + list(REGIONS) + days() + ["buckets", "max/bucket"]
        out = ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 1)]
        for name, _ in FILTERS:
            f = sec[name]
            row = [name, f["total"]] + [f["by_account"][a] for a in ACCOUNTS] + \
                  [f["by_region"][r] for r in REGIONS] + [f["by_day"][d] for d in days()] + \
                  [f["buckets"], f["max_per_bucket"]]
            out.append("| " + " | ".join(str(v) for v in row) + " |")
        return out

    L += filt_table(s3)
    L += ["", "| extra | total |", "|---|---:|"]
    for name, _ in EXTRA:
        L.append(f"| {name} | {s3[name]['total']} |")
    L += ["", "## events.jsonl", "", f"{ej['records']} records, one per line, ordered by eventTime.", ""]
    L += filt_table(ej)
    L += ["", "| extra | total |", "|---|---:|"]
    for name, _ in EXTRA:
        L.append(f"| {name} | {ej[name]['total']} |")
    L += ["", "## CloudTrail configuration changes, one by one", ""]
    for title, evs, with_file in (("S3 layout", s3["cloudtrail_cfg_changes"]["events"], True),
                                  ("events.jsonl", ej["cloudtrail_cfg_changes"]["events"], False)):
        L += [f"{title}:", "", "| eventTime | account | region | eventName | errorCode |"
              + (" file date folder |" if with_file else ""),
              "|---|---|---|---|---|" + ("---|" if with_file else "")]
        for e in evs:
            L.append(f"| {e['eventTime']} | {e['account']} | {e['region']} | {e['eventName']} | "
                     f"{e['errorCode'] or ''} |" + (f" {e['file_date']} |" if with_file else ""))
        L.append("")
    L += ["## What is in there", "",
          "- Incident in both sets: the access key of IAM user svc-reporting is used from "
          f"{ATTACKER_IP} for 12",
          "  authorization failures within three minutes (S3 layout: 2024-03-02 03:12:05-03:14:50 UTC in",
          "  111122223333/us-east-1, all in one 300-second bucket, the last a denied StopLogging that matches both",
          "  filters; events.jsonl: 2024-03-01 12:02:05-12:04:56, all in one bucket; its denied StopLogging is a",
          "  separate record at 14:02:09). That bucket is the *max/bucket* of 12.",
          "- Scattered authorization failures: developers hitting Client.UnauthorizedOperation/AccessDenied, a",
          "  cost-reporter Lambda calling organizations:ListAccounts every four hours, a monitoring vendor's role",
          "  lacking logs:DescribeLogGroups.",
          "- Late delivery: a StopLogging/StartLogging pair just before midnight on 2024-03-01 in 444455556666 is",
          "  delivered 16-40 minutes late, in files dated 2024-03-02 (see the table above).",
          "- Near misses (not counted): ThrottlingException, Client.RequestLimitExceeded, NoSuchBucket,",
          "  NoSuchBucketPolicy, InvalidParameterValue, Client.InvalidPermission.NotFound/Duplicate,",
          "  NoSuchEntityException, TrailNotFoundException, NotAuthorizedException; DescribeTrails, GetTrailStatus,",
          "  LookupEvents, GetEventSelectors, PutEventSelectors, AddTags.", ""]
    return "\n".join(L)


def readme_md(x):
    s3, ej = x["s3_layout"], x["events_jsonl"]
    return "\n".join([
        "# sample-data",
        "",
        "Synthetic CloudTrail data for trailreplay's demo and tests. Nothing here came from a real AWS account:",
        "it is generated by `scripts/make-sample-data.py` (fixed seed, standard library only), and the output is",
        "byte-for-byte deterministic. Regenerate with `python3 scripts/make-sample-data.py`; do not edit by hand.",
        "",
        f"- `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`: {s3['files']} gzipped log files",
        f"  (`{{\"Records\":[...]}}`, {s3['events']} events) for accounts {ACCOUNTS[0]} and {ACCOUNTS[1]}, "
        f"regions {REGIONS[0]} and {REGIONS[1]},",
        f"  2024-03-01 and 2024-03-02 UTC, named and dated by delivery time as CloudTrail does; "
        f"{s3['org_trail_files']} of them sit",
        f"  under the organization-trail prefix `AWSLogs/{ORG_ID}/<account>/` (their events appear nowhere else).",
        f"  Delivery is 1-15 minutes after eventTime, except {s3['late_events']} late records (up to 40 minutes, "
        "placed last in their file),",
        "  so files are not strictly ordered and some files dated 2024-03-02 hold 2024-03-01 events.",
        f"- `AWSLogs/<account>/CloudTrail-Digest/...`: {s3['digest_files']} digest file (no events; its hashes "
        "match the log files it lists).",
        f"- `events.jsonl`: {ej['records']} curated records, one per line, as CloudWatch Logs receives them, "
        "for filter-pattern demos.",
        "- `EXPECTED.md` / `expected.json`: the counts for the CIS unauthorized-API-calls and CloudTrail-changes",
        "  filters (overall, per account, region, day, and distinct 5-minute buckets), computed without a pattern",
        "  engine. Tests should compare against `expected.json`.",
        "",
    ])


# ------------------------------------------------------------------------ main

def main():
    if sys.version_info < (3, 11):
        raise SystemExit("needs Python 3.11+")
    gen_routine()
    gen_scenarios()
    files = assign_files()
    digest_key, digest_body, digest_n = make_digest(files)
    jsonl = curated()

    # Replace only what this script owns.
    shutil.rmtree(OUT / "AWSLogs", ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    for f in files:
        write(OUT / f["key"], gz(f["body"]))
    write(OUT / digest_key, gz(digest_body))
    write(OUT / "events.jsonl", "".join(dumps_record(r, a) + "\n" for r, a in jsonl).encode("utf-8"))

    x = count_from_disk()

    # Cross-check against what the generator itself put in.
    gen_events = sum(len(f["items"]) for f in files)
    gen_unauth = sum(is_unauthorized(it["rec"]) for f in files for it in f["items"])
    s3 = x["s3_layout"]
    assert s3["files"] == len(files) and s3["events"] == gen_events, "file/event count mismatch"
    assert s3["unauthorized_api_calls"]["total"] == gen_unauth, "unauthorized count mismatch"
    assert s3["digest_files"] == 1 and digest_n > 0
    assert MIN_LAG <= s3["delivery_lag_seconds"]["min"] and s3["delivery_lag_seconds"]["max"] <= LATE_MAX
    assert s3["events_in_other_day_files"] > 0 and s3["late_events"] > 0
    assert 3 <= s3["org_trail_files"] <= 10, s3["org_trail_files"]
    # EXPECTED.md's prose says the incident bursts are the busiest 5-minute buckets, with 12 each.
    assert s3["unauthorized_api_calls"]["max_per_bucket"] == 12
    assert x["events_jsonl"]["unauthorized_api_calls"]["max_per_bucket"] == 12

    (OUT / "expected.json").write_bytes((json.dumps(x, indent=2) + "\n").encode("utf-8"))
    (OUT / "EXPECTED.md").write_bytes(expected_md(x).encode("utf-8"))
    (OUT / "README.md").write_bytes(readme_md(x).encode("utf-8"))

    print(f"wrote {s3['files']} log files ({s3['org_trail_files']} org-trail), {s3['digest_files']} digest, "
          f"{s3['events']} events; events.jsonl: {x['events_jsonl']['records']} records")
    for name, _ in FILTERS:
        print(f"  {name}: s3 {s3[name]['total']} in {s3[name]['buckets']} buckets; "
              f"jsonl {x['events_jsonl'][name]['total']} in {x['events_jsonl'][name]['buckets']} buckets")


if __name__ == "__main__":
    main()
