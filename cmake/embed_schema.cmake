# Embeds schema/*.sql (sorted by name: 001_..., 002_...) into a header as raw string literals,
# so the binary carries its schema and never reads the source tree at run time.
# Usage: cmake -DSCHEMA_DIR=... -DOUTPUT=... -P embed_schema.cmake
file(GLOB files "${SCHEMA_DIR}/[0-9][0-9][0-9]_*.sql")
list(SORT files)
set(body "// Generated from schema/*.sql by cmake/embed_schema.cmake. Do not edit.\n#pragma once\n\nnamespace trailreplay::store {\n\ninline constexpr const char* kSchemaMigrations[] = {\n")
foreach(file ${files})
  file(READ ${file} sql)
  get_filename_component(name ${file} NAME)
  string(APPEND body "    // ${name}\n    R\"trailreplay_sql(${sql})trailreplay_sql\",\n")
endforeach()
string(APPEND body "};\n\n}  // namespace trailreplay::store\n")
file(WRITE "${OUTPUT}.tmp" "${body}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
