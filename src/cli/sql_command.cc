// `trailreplay sql`: SQL over a scanned database, read-only.
//
//   trailreplay sql --db FILE "SELECT ..." [--format table|csv|json]
//
// The text may hold several statements separated by `;` (`-` reads it from standard input);
// every statement that has result columns prints its result, in order, even when it returns
// no rows (table: the header; csv: the header row; json: []):
//   table  aligned columns under a header and a line of dashes, as `sqlite3 -header -column`
//          prints them; NULL is empty;
//   csv    RFC 4180: a header row, fields quoted when they hold `,`, `"`, CR or LF (quotes
//          doubled), NULL as an empty field; lines end in LF;
//   json   one JSON document: a statement's result is an array of objects (numbers as
//          numbers, NULL as null, BLOBs as hex strings); with several statements, an array
//          of those arrays, one per statement that has result columns.
// Table and CSV results are separated by a blank line.
//
// Read-only, with one exception: a database made by an older trailreplay (PRAGMA user_version
// below this build's schema version) is first opened read-write once, which applies the
// missing schema migrations (the views of schema/003_views.sql and later), exactly as any
// other command opening it would. The statements themselves always run on a read-only
// connection (SQLITE_OPEN_READONLY, plus PRAGMA query_only), so they can never change the
// database; in WAL mode that connection reads consistently while a scan writes. If the
// migration cannot run (a read-only file, a scan holding the write lock), `sql` warns and
// queries what is there.
//
// Exit codes: 0 every statement ran; 1 no such database, not a trailreplay database, or an
// SQL error (syntax, no such table, an attempt to write: SQLite's message, with a caret
// under the spot when SQLite reports one); statements before the failing one have printed
// their results; 2 the command line could not be parsed.
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/terminal_output.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "common/terminal_text.h"
#include "store/database.h"
#include "store/query_guard.h"

namespace trailreplay::cli {
namespace {

struct SqlCliOptions {
  std::string db;
  std::string sql;
  std::string format = "table";
};

struct Cell {
  int type = SQLITE_NULL;
  std::string text;  // INTEGER and REAL as SQLite renders them, TEXT as is, BLOB as hex
};

struct ResultSet {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

std::string Hex(const void* data, int size) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (int i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xF];
  }
  return out;
}

Cell ReadCell(sqlite3_stmt* stmt, int column) {
  Cell cell;
  cell.type = sqlite3_column_type(stmt, column);
  if (cell.type == SQLITE_BLOB) {
    const void* data = sqlite3_column_blob(stmt, column);
    cell.text = Hex(data, sqlite3_column_bytes(stmt, column));
  } else if (cell.type != SQLITE_NULL) {
    const auto* text = sqlite3_column_text(stmt, column);
    if (text != nullptr) {
      cell.text.assign(reinterpret_cast<const char*>(text),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
    }
  }
  return cell;
}

// Display width in characters: UTF-8 continuation bytes do not count.
std::size_t Width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// A cell as the table shows it: one line, whatever the data holds (terminal_text.h).
std::string TableText(const Cell& cell) {
  return cell.type == SQLITE_BLOB ? "X'" + cell.text + "'" : TerminalSafe(cell.text);
}

void PrintTable(const ResultSet& result, std::string& out) {
  const std::size_t n = result.columns.size();
  std::vector<std::size_t> widths(n);
  for (std::size_t i = 0; i < n; ++i) widths[i] = Width(TerminalSafe(result.columns[i]));
  for (const auto& row : result.rows) {
    for (std::size_t i = 0; i < n; ++i) widths[i] = std::max(widths[i], Width(TableText(row[i])));
  }
  auto line = [&](auto&& text_of) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string cell = text_of(i);
      text += cell;
      if (i + 1 < n) text += std::string(widths[i] - Width(cell) + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  line([&](std::size_t i) { return TerminalSafe(result.columns[i]); });
  line([&](std::size_t i) { return std::string(widths[i], '-'); });
  for (const auto& row : result.rows) line([&](std::size_t i) { return TableText(row[i]); });
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void PrintCsv(const ResultSet& result, std::string& out) {
  auto line = [&](auto&& text_of) {
    for (std::size_t i = 0; i < result.columns.size(); ++i) {
      if (i > 0) out += ',';
      out += CsvField(text_of(i));
    }
    out += "\n";
  };
  line([&](std::size_t i) { return result.columns[i]; });
  for (const auto& row : result.rows) line([&](std::size_t i) { return row[i].text; });
}

std::string JsonValueText(const Cell& cell) {
  switch (cell.type) {
    case SQLITE_NULL:
      return "null";
    case SQLITE_INTEGER:
      return cell.text;
    case SQLITE_FLOAT:
      return JsonNumber(std::strtod(cell.text.c_str(), nullptr));
    default:
      return JsonString(cell.text);
  }
}

void PrintJson(const ResultSet& result, std::string& out) {
  if (result.rows.empty()) {
    out += "[]\n";
    return;
  }
  out += "[\n";
  for (std::size_t r = 0; r < result.rows.size(); ++r) {
    out += "  {";
    for (std::size_t i = 0; i < result.columns.size(); ++i) {
      if (i > 0) out += ", ";
      out += JsonString(result.columns[i]) + ": " + JsonValueText(result.rows[r][i]);
    }
    out += r + 1 < result.rows.size() ? "},\n" : "}\n";
  }
  out += "]\n";
}

Result<store::Database> OpenForQueries(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(ErrorCode::kIo, "no database '" + path + "': " + std::strerror(errno) +
                                         " (make one with 'trailreplay scan PATH --db " + path +
                                         "')");
  }
  if (S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kIo, "'" + path + "' is a directory, not a database");
  }
  auto db = store::Database::Open(path, /*read_only=*/true);
  if (!db) return std::move(db).error();
  // An error when the file is not a database.
  auto version = db->QueryInt("PRAGMA user_version");
  if (!version) return std::move(version).error();
  if (*version == 0) {
    auto tables = db->QueryInt("SELECT count(*) FROM sqlite_schema");
    if (!tables) return std::move(tables).error();
    if (*tables == 0) {
      return MakeError(ErrorCode::kDatabase,
                       "'" + path + "' is not a trailreplay database (it holds no tables)");
    }
  } else if (*version < store::SchemaVersion()) {
    // An older trailreplay made it: bring its views up to date first (the read-write
    // connection closes at the end of the block), then read what the migration committed.
    bool migrated = false;
    {
      auto writer = store::Database::Open(path, /*read_only=*/false);
      if (!writer) {
        std::cerr << "warning: could not add this version's views to '" << path
                  << "' (schema version " << *version << " of " << store::SchemaVersion()
                  << "): " << writer.error().message << "\n";
      }
      migrated = writer.has_value();
    }
    if (migrated) {
      db = store::Database::Open(path, /*read_only=*/true);
      if (!db) return std::move(db).error();
    }
  }
  return db;
}

// SQLite's error offset counts from the start of the statement being prepared, which begins
// `statement_start` bytes into the whole text.
Error SqlError(sqlite3* db, const std::string& sql, std::size_t statement_start) {
  Error error = MakeError(ErrorCode::kDatabase, sqlite3_errmsg(db));
  const int offset = sqlite3_error_offset(db);
  if (offset >= 0 && statement_start + static_cast<std::size_t>(offset) <= sql.size()) {
    error.offset = statement_start + static_cast<std::size_t>(offset);
    error.subject = sql;
  }
  return error;
}

// A statement the read-only guard refused: the caret goes under its first word.
Error Refused(const std::string& why, const std::string& sql, std::size_t statement_start) {
  Error error = MakeError(ErrorCode::kInvalidArgument, "sql is read-only: " + why);
  const std::size_t word = sql.find_first_not_of(" \t\r\n;", statement_start);
  if (word != std::string::npos) {
    error.offset = word;
    error.subject = sql;
  }
  return error;
}

int Run(const SqlCliOptions& cli) {
  if (!cli.db.empty()) WarnIfShared(cli.db);
  // CSV keeps the data exact, control characters included; the table escapes them.
  if (cli.format == "csv") ExactStandardOutput();
  std::string sql = cli.sql;
  if (sql == "-") {
    std::ostringstream text;
    text << std::cin.rdbuf();
    sql = text.str();
  }
  auto db = OpenForQueries(cli.db);
  if (!db) {
    std::cerr << FormatError(db.error(), "SQL");
    return kExitFailure;
  }
  store::QueryGuard guard;
  if (auto ok = guard.Install(*db); !ok) {
    std::cerr << FormatError(ok.error(), "SQL");
    return kExitFailure;
  }
  sqlite3* handle = db->handle();
  const char* const begin = sql.c_str();
  const char* tail = begin;
  bool first = true;
  // JSON prints one document, once the statements have run (or stopped on an error): the
  // result of a single statement as its array of rows, several as an array of those arrays.
  std::vector<std::string> json_results;
  struct PrintJsonAtEnd {
    std::vector<std::string>& results;
    ~PrintJsonAtEnd() {
      if (results.empty()) return;
      if (results.size() == 1) {
        std::cout << results[0];
      } else {
        std::string out = "[\n";
        for (std::size_t i = 0; i < results.size(); ++i) {
          std::string text = results[i];
          while (!text.empty() && text.back() == '\n') text.pop_back();
          out += text + (i + 1 < results.size() ? ",\n" : "\n");
        }
        std::cout << out << "]\n";
      }
      std::cout << std::flush;
    }
  } print_json_at_end{json_results};
  while (*tail != '\0') {
    sqlite3_stmt* raw = nullptr;
    const char* next = nullptr;
    const auto statement_start = static_cast<std::size_t>(tail - begin);
    guard.Clear();
    if (sqlite3_prepare_v2(handle, tail, -1, &raw, &next) != SQLITE_OK) {
      std::cerr << FormatError(guard.denial().empty()
                                   ? SqlError(handle, sql, statement_start)
                                   : Refused(guard.denial(), sql, statement_start),
                               "SQL");
      return kExitFailure;
    }
    tail = next;
    if (raw == nullptr) continue;  // only blanks or a comment
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
    if (auto ok = guard.CheckPrepared(raw); !ok) {
      std::cerr << FormatError(Refused(ok.error().message, sql, statement_start), "SQL");
      return kExitFailure;
    }
    ResultSet result;
    const int columns = sqlite3_column_count(raw);
    for (int i = 0; i < columns; ++i) {
      const char* name = sqlite3_column_name(raw, i);
      result.columns.emplace_back(name != nullptr ? name : "");
    }
    for (;;) {
      const int rc = sqlite3_step(raw);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        std::cerr << FormatError(MakeError(ErrorCode::kDatabase, sqlite3_errmsg(handle)), "SQL");
        return kExitFailure;
      }
      auto& row = result.rows.emplace_back();
      for (int i = 0; i < columns; ++i) row.push_back(ReadCell(raw, i));
    }
    if (columns == 0) continue;
    std::string out;
    if (cli.format == "json") {
      PrintJson(result, out);
      json_results.push_back(std::move(out));
      continue;
    }
    if (!first) out += "\n";
    first = false;
    if (cli.format == "csv") {
      PrintCsv(result, out);
    } else if (cli.format == "json") {
      PrintJson(result, out);
    } else {
      PrintTable(result, out);
    }
    std::cout << out << std::flush;
  }
  return kExitOk;
}

}  // namespace

void RegisterSql(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<SqlCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sql",
      "Run SQL over a scanned database, read-only, and print each result (see schema/README.md "
      "for the tables and views).");
  cmd->add_option("--db", options->db, "A database made by 'trailreplay scan'")->required();
  cmd->add_option("SQL", options->sql,
                  "One or more statements separated by ';' ('-': read them from standard input)")
      ->required();
  cmd->add_option("--format", options->format, "How results are printed")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli
