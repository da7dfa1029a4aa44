// Tests for cerebellum/parser: SQL text in, AST or a positioned error out.
#include "cerebellum/parser/parser.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <pthread.h>

namespace kopf::cerebellum {
namespace {

using protocol::ErrorCode;
using protocol::Type;
using protocol::Value;

// ---- Helpers --------------------------------------------------------------

ast::Statement Parse(std::string_view sql) {
  auto result = ParseStatement(sql);
  REQUIRE_MESSAGE(result.ok(), sql, " -> ", result.status().ToString());
  return std::move(result).value();
}

template <typename T>
T ParseAs(std::string_view sql) {
  ast::Statement statement = Parse(sql);
  REQUIRE_MESSAGE(std::holds_alternative<T>(statement), sql);
  return std::get<T>(std::move(statement));
}

protocol::Status ParseError(std::string_view sql) {
  auto result = ParseStatement(sql);
  REQUIRE_MESSAGE(!result.ok(), sql, " parsed but should not");
  return result.status();
}

const char* BinaryName(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::kAdd:
      return "+";
    case ast::BinaryOp::kSubtract:
      return "-";
    case ast::BinaryOp::kMultiply:
      return "*";
    case ast::BinaryOp::kDivide:
      return "/";
    case ast::BinaryOp::kModulo:
      return "%";
    case ast::BinaryOp::kConcat:
      return "||";
    case ast::BinaryOp::kEqual:
      return "=";
    case ast::BinaryOp::kNotEqual:
      return "<>";
    case ast::BinaryOp::kLess:
      return "<";
    case ast::BinaryOp::kLessEqual:
      return "<=";
    case ast::BinaryOp::kGreater:
      return ">";
    case ast::BinaryOp::kGreaterEqual:
      return ">=";
    case ast::BinaryOp::kAnd:
      return "AND";
    case ast::BinaryOp::kOr:
      return "OR";
  }
  return "?";
}

std::string LiteralText(const Value& v) {
  switch (v.type()) {
    case Type::kText:
      return "'" + v.as_text() + "'";
    case Type::kNull:
      return "NULL";
    case Type::kInteger:
      return std::to_string(v.as_integer());
    default:
      return v.ToString();
  }
}

// The expression as an S-expression, e.g. (+ 1 (* 2 3)); subqueries as
// (SELECT ...) in the form SelectSexp gives.
std::string Sexp(const ast::Expr& e);
std::string Sexp(const ast::ExprPtr& e) { return e == nullptr ? "null" : Sexp(*e); }
std::string SelectSexp(const ast::Select& s);
std::string SelectSexp(const ast::SelectPtr& s) { return s == nullptr ? "null" : SelectSexp(*s); }

std::string Sexp(const ast::Expr& e) {
  return std::visit(
      [](const auto& n) -> std::string {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, ast::Literal>) {
          return LiteralText(n.value);
        } else if constexpr (std::is_same_v<T, ast::ColumnRef>) {
          return n.table.empty() ? n.column : n.table + "." + n.column;
        } else if constexpr (std::is_same_v<T, ast::Unary>) {
          const char* op = n.op == ast::UnaryOp::kNot      ? "NOT"
                           : n.op == ast::UnaryOp::kNegate ? "-"
                                                           : "+";
          return fmt::format("({} {})", op, Sexp(n.operand));
        } else if constexpr (std::is_same_v<T, ast::Binary>) {
          return fmt::format("({} {} {})", BinaryName(n.op), Sexp(n.left), Sexp(n.right));
        } else if constexpr (std::is_same_v<T, ast::IsNull>) {
          return fmt::format("({} {})", n.negated ? "NOTNULL" : "ISNULL", Sexp(n.operand));
        } else if constexpr (std::is_same_v<T, ast::Between>) {
          return fmt::format("({}BETWEEN {} {} {})", n.negated ? "NOT " : "", Sexp(n.operand),
                             Sexp(n.low), Sexp(n.high));
        } else if constexpr (std::is_same_v<T, ast::InList>) {
          std::string s = fmt::format("({}IN {}", n.negated ? "NOT " : "", Sexp(n.operand));
          for (const auto& item : n.items) s += " " + Sexp(item);
          return s + ")";
        } else if constexpr (std::is_same_v<T, ast::Like>) {
          return fmt::format("({}LIKE {} {})", n.negated ? "NOT " : "", Sexp(n.operand),
                             Sexp(n.pattern));
        } else if constexpr (std::is_same_v<T, ast::Case>) {
          std::string s = "(CASE";
          if (n.operand) s += " " + Sexp(n.operand);
          for (const auto& [when, then] : n.whens) {
            s += fmt::format(" (WHEN {} {})", Sexp(when), Sexp(then));
          }
          if (n.else_result) s += fmt::format(" (ELSE {})", Sexp(n.else_result));
          return s + ")";
        } else if constexpr (std::is_same_v<T, ast::Cast>) {
          return fmt::format("(CAST {} {})", Sexp(n.operand), protocol::TypeName(n.type));
        } else if constexpr (std::is_same_v<T, ast::ScalarSubquery>) {
          return SelectSexp(n.query);
        } else if constexpr (std::is_same_v<T, ast::Exists>) {
          return fmt::format("({}EXISTS {})", n.negated ? "NOT " : "", SelectSexp(n.query));
        } else if constexpr (std::is_same_v<T, ast::InSubquery>) {
          return fmt::format("({}IN {} {})", n.negated ? "NOT " : "", Sexp(n.operand),
                             SelectSexp(n.query));
        } else if constexpr (std::is_same_v<T, ast::Parameter>) {
          return fmt::format("${}", n.index);
        } else {
          static_assert(std::is_same_v<T, ast::FunctionCall>);
          std::string s = "(" + n.name;
          if (n.star) s += " *";
          if (n.distinct) s += " DISTINCT";
          for (const auto& arg : n.args) s += " " + Sexp(arg);
          return s + ")";
        }
      },
      e.node);
}

const char* JoinName(ast::JoinKind kind) {
  switch (kind) {
    case ast::JoinKind::kCross:
      return ",";
    case ast::JoinKind::kInner:
      return " JOIN";
    case ast::JoinKind::kLeft:
      return " LEFT JOIN";
  }
  return "?";
}

const char* SetOperatorName(ast::SetOperator op) {
  switch (op) {
    case ast::SetOperator::kUnion:
      return "UNION";
    case ast::SetOperator::kUnionAll:
      return "UNION ALL";
    case ast::SetOperator::kIntersect:
      return "INTERSECT";
    case ast::SetOperator::kExcept:
      return "EXCEPT";
  }
  return "?";
}

// A SELECT as (SELECT [DISTINCT] items [FROM a, b JOIN c ON e ...] [WHERE e]
// [GROUP BY e ...] [HAVING e] [UNION ... (SELECT ...)] [ORDER BY e [DESC]]
// [LIMIT e] [OFFSET e]), every expression an S-expression.
std::string SelectSexp(const ast::Select& s) {
  std::string out = s.distinct ? "(SELECT DISTINCT" : "(SELECT";
  for (size_t i = 0; i < s.items.size(); ++i) {
    const ast::SelectItem& item = s.items[i];
    out += i == 0 ? " " : ", ";
    if (item.star) {
      out += item.star_table.empty() ? "*" : item.star_table + ".*";
    } else {
      out += Sexp(item.expr);
    }
    if (!item.alias.empty()) out += " AS " + item.alias;
  }
  for (size_t i = 0; i < s.from.size(); ++i) {
    const ast::FromItem& item = s.from[i];
    out += i == 0 ? " FROM" : JoinName(item.join);
    out += " " + item.table.table;
    if (!item.table.alias.empty()) out += " " + item.table.alias;
    if (item.on != nullptr) out += " ON " + Sexp(item.on);
  }
  if (s.where) out += " WHERE " + Sexp(s.where);
  for (size_t i = 0; i < s.group_by.size(); ++i) {
    out += (i == 0 ? " GROUP BY " : ", ") + Sexp(s.group_by[i]);
  }
  if (s.having) out += " HAVING " + Sexp(s.having);
  for (const ast::CompoundTerm& term : s.compound) {
    out += fmt::format(" {} {}", SetOperatorName(term.op), SelectSexp(term.select));
  }
  for (size_t i = 0; i < s.order_by.size(); ++i) {
    out += (i == 0 ? " ORDER BY " : ", ") + Sexp(s.order_by[i].expr);
    if (s.order_by[i].descending) out += " DESC";
  }
  if (s.limit) out += " LIMIT " + Sexp(s.limit);
  if (s.offset) out += " OFFSET " + Sexp(s.offset);
  return out + ")";
}

// Parses `SELECT <expr>` and returns the single item's expression.
ast::ExprPtr ParseExpr(std::string_view expr) {
  auto select = ParseAs<ast::Select>("SELECT " + std::string(expr));
  REQUIRE(select.items.size() == 1);
  REQUIRE(select.items[0].expr != nullptr);
  return std::move(select.items[0].expr);
}

std::string ExprSexp(std::string_view expr) { return Sexp(ParseExpr(expr)); }

// AddressSanitizer makes stack frames several times larger.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kSmallStackBytes = 8 << 20;
#else
constexpr size_t kSmallStackBytes = 512 << 10;
#endif

const Value& LiteralOf(const ast::ExprPtr& e) {
  REQUIRE(std::holds_alternative<ast::Literal>(e->node));
  return std::get<ast::Literal>(e->node).value;
}

// ---- Statements -----------------------------------------------------------

TEST_SUITE("cerebellum/parser") {
  TEST_CASE("parses CREATE TABLE with types, constraints and a table primary key") {
    auto create = ParseAs<ast::CreateTable>(
        "CREATE TABLE IF NOT EXISTS Orders (\n"
        "  id BIGINT PRIMARY KEY,\n"
        "  name VARCHAR(20) NOT NULL DEFAULT 'none',\n"
        "  price double precision NULL DEFAULT -1.5,\n"
        "  qty int DEFAULT 1 + 2,\n"
        "  note character varying(5),\n"
        "  amount DECIMAL(10, 2),\n"
        "  flag bool,\n"
        "  t text, r REAL, f FLOAT, n NUMERIC, c CHAR(3),\n"
        "  s SMALLINT, i INTEGER, b BOOLEAN, d DOUBLE)");
    CHECK(create.table == "orders");
    CHECK(create.table_position == 27);
    CHECK(create.if_not_exists);
    CHECK(create.primary_key.empty());
    REQUIRE(create.columns.size() == 16);

    const auto& id = create.columns[0];
    CHECK(id.name == "id");
    CHECK(id.position == 38);
    CHECK(id.type.type == Type::kInteger);
    CHECK(id.type.declared == "BIGINT");
    CHECK(id.primary_key);
    CHECK_FALSE(id.not_null);
    CHECK(id.default_value == nullptr);

    const auto& name = create.columns[1];
    CHECK(name.type.type == Type::kText);
    CHECK(name.type.declared == "VARCHAR(20)");
    CHECK(name.not_null);
    CHECK_FALSE(name.primary_key);
    REQUIRE(name.default_value != nullptr);
    CHECK(LiteralOf(name.default_value) == Value::Text("none"));

    const auto& price = create.columns[2];
    CHECK(price.type.type == Type::kDouble);
    CHECK(price.type.declared == "DOUBLE PRECISION");
    CHECK_FALSE(price.not_null);
    CHECK(LiteralOf(price.default_value) == Value::Double(-1.5));

    CHECK(Sexp(create.columns[3].default_value) == "(+ 1 2)");
    CHECK(create.columns[3].type.declared == "INT");
    CHECK(create.columns[4].type.declared == "CHARACTER VARYING(5)");
    CHECK(create.columns[4].type.type == Type::kText);
    CHECK(create.columns[5].type.declared == "DECIMAL(10,2)");
    CHECK(create.columns[5].type.type == Type::kDouble);
    CHECK(create.columns[6].type.type == Type::kBoolean);
    CHECK(create.columns[6].type.declared == "BOOL");

    const std::pair<const char*, Type> rest[] = {
        {"TEXT", Type::kText},       {"REAL", Type::kDouble},     {"FLOAT", Type::kDouble},
        {"NUMERIC", Type::kDouble},  {"CHAR(3)", Type::kText},    {"SMALLINT", Type::kInteger},
        {"INTEGER", Type::kInteger}, {"BOOLEAN", Type::kBoolean}, {"DOUBLE", Type::kDouble}};
    for (size_t i = 0; i < std::size(rest); ++i) {
      CHECK(create.columns[7 + i].type.declared == rest[i].first);
      CHECK(create.columns[7 + i].type.type == rest[i].second);
    }
  }

  TEST_CASE("ends a DEFAULT expression where the next constraint starts") {
    auto create = ParseAs<ast::CreateTable>(
        "CREATE TABLE t (a INT DEFAULT -1 NOT NULL, b TEXT DEFAULT 'x' || 'y' PRIMARY KEY, "
        "c BOOL DEFAULT (1 = 1) NULL)");
    CHECK(Sexp(create.columns[0].default_value) == "-1");
    CHECK(create.columns[0].not_null);
    CHECK(Sexp(create.columns[1].default_value) == "(|| 'x' 'y')");
    CHECK(create.columns[1].primary_key);
    CHECK(Sexp(create.columns[2].default_value) == "(= 1 1)");
    CHECK(ParseError("CREATE TABLE t (a BOOL DEFAULT 1 = 1)").position() == 33);
  }

  TEST_CASE("parses a table-level PRIMARY KEY") {
    auto create = ParseAs<ast::CreateTable>("create table t (a int, b text, primary key (a, B))");
    CHECK_FALSE(create.if_not_exists);
    CHECK(create.primary_key == std::vector<std::string>{"a", "b"});
    CHECK(create.primary_key_position == 31);
    CHECK_FALSE(create.columns[0].primary_key);
  }

  TEST_CASE("rejects unknown types, bad modifiers and conflicting constraints") {
    auto s = ParseError("CREATE TABLE t (a BLOB)");
    CHECK(s.code() == ErrorCode::kSyntaxError);
    CHECK(s.position() == 18);
    CHECK(s.message() == "type \"blob\" does not exist (line 1, column 19)");

    s = ParseError("CREATE TABLE t (a INT(3))");
    CHECK(s.code() == ErrorCode::kSyntaxError);
    CHECK(s.position() == 22);
    CHECK(ParseError("CREATE TABLE t (a VARCHAR(1, 2))").position() == 26);
    CHECK(ParseError("CREATE TABLE t (a VARCHAR(0))").code() == ErrorCode::kInvalidValue);
    CHECK(ParseError("CREATE TABLE t (a NUMERIC(2, 3))").position() == 29);
    CHECK(ParseAs<ast::CreateTable>("CREATE TABLE t (a NUMERIC(2, 0))").columns[0].type.declared ==
          "NUMERIC(2,0)");
    CHECK(ParseAs<ast::CreateTable>("CREATE TABLE t (a FLOAT(53))").columns[0].type.declared ==
          "FLOAT(53)");
    CHECK(ParseError("CREATE TABLE t (a VARCHAR(99999999999))").code() == ErrorCode::kInvalidValue);

    s = ParseError("CREATE TABLE t (a INT NOT NULL NULL)");
    CHECK(s.position() == 31);
    CHECK(s.message().starts_with("conflicting NULL/NOT NULL declarations for column \"a\""));
    CHECK(ParseError("CREATE TABLE t (a INT DEFAULT 1 DEFAULT 2)").position() == 32);
    CHECK(ParseError("CREATE TABLE t (a INT PRIMARY KEY, b INT PRIMARY KEY)").position() == 41);
    CHECK(ParseError("CREATE TABLE t (a INT PRIMARY KEY, PRIMARY KEY (a))").position() == 35);
    CHECK(ParseError("CREATE TABLE t ()").position() == 16);
    CHECK(ParseError("CREATE TABLE t (a)").position() == 17);
  }

  TEST_CASE("parses column and table UNIQUE constraints into unique keys") {
    auto create = ParseAs<ast::CreateTable>("CREATE TABLE t (a INT UNIQUE, b INT, UNIQUE (a, B))");
    REQUIRE(create.unique_keys.size() == 2);
    CHECK(create.unique_keys[0].columns == std::vector<std::string>{"a"});
    CHECK(create.unique_keys[0].position == 22);
    CHECK(create.unique_keys[1].columns == std::vector<std::string>{"a", "b"});
    CHECK(create.unique_keys[1].position == 37);
  }

  TEST_CASE("parses DROP TABLE") {
    auto drop = ParseAs<ast::DropTable>("DROP TABLE t;");
    CHECK(drop.table == "t");
    CHECK(drop.table_position == 11);
    CHECK_FALSE(drop.if_exists);
    drop = ParseAs<ast::DropTable>("drop table if exists \"T\"");
    CHECK(drop.table == "T");
    CHECK(drop.if_exists);
    CHECK(drop.table_position == 21);
  }

  TEST_CASE("parses INSERT with and without a column list") {
    auto insert = ParseAs<ast::Insert>("INSERT INTO t (a, B) VALUES (1, 'x'), (-2, NULL)");
    CHECK(insert.table == "t");
    CHECK(insert.table_position == 12);
    CHECK(insert.columns == std::vector<std::string>{"a", "b"});
    CHECK(insert.column_positions == std::vector<int32_t>{15, 18});
    REQUIRE(insert.rows.size() == 2);
    REQUIRE(insert.rows[0].size() == 2);
    CHECK(LiteralOf(insert.rows[0][0]) == Value::Integer(1));
    CHECK(insert.rows[0][0]->position == 29);
    CHECK(LiteralOf(insert.rows[0][1]) == Value::Text("x"));
    CHECK(LiteralOf(insert.rows[1][0]) == Value::Integer(-2));
    CHECK(insert.rows[1][0]->position == 39);
    CHECK(LiteralOf(insert.rows[1][1]).is_null());

    insert = ParseAs<ast::Insert>("insert into t values (1 + 2)");
    CHECK(insert.columns.empty());
    REQUIRE(insert.rows.size() == 1);
    CHECK(Sexp(insert.rows[0][0]) == "(+ 1 2)");
  }

  TEST_CASE("parses a SELECT with every clause") {
    auto select = ParseAs<ast::Select>(
        "SELECT DISTINCT t.*, a AS x, b y, count(*), * FROM Tab AS t WHERE a > 1 "
        "GROUP BY a, b HAVING count(*) > 2 ORDER BY a DESC, b, c ASC NULLS FIRST, d NULLS LAST "
        "LIMIT 10 OFFSET 5");
    CHECK(select.distinct);
    REQUIRE(select.items.size() == 5);
    CHECK(select.items[0].star);
    CHECK(select.items[0].star_table == "t");
    CHECK(select.items[0].expr == nullptr);
    CHECK(select.items[0].position == 16);
    CHECK(Sexp(select.items[1].expr) == "a");
    CHECK(select.items[1].alias == "x");
    CHECK(select.items[1].position == 21);
    CHECK(select.items[2].alias == "y");
    CHECK(Sexp(select.items[3].expr) == "(count *)");
    CHECK(select.items[3].alias.empty());
    CHECK(select.items[4].star);
    CHECK(select.items[4].star_table.empty());
    CHECK(select.position == 0);
    REQUIRE(select.from.size() == 1);
    CHECK(select.from[0].table.table == "tab");
    CHECK(select.from[0].table.alias == "t");
    CHECK(select.from[0].table.position == 51);
    CHECK(select.from[0].join == ast::JoinKind::kCross);
    CHECK(select.from[0].on == nullptr);
    CHECK(select.compound.empty());
    CHECK(Sexp(select.where) == "(> a 1)");
    CHECK(select.where->position == 66);
    REQUIRE(select.group_by.size() == 2);
    CHECK(Sexp(select.group_by[1]) == "b");
    CHECK(Sexp(select.having) == "(> (count *) 2)");
    REQUIRE(select.order_by.size() == 4);
    CHECK(select.order_by[0].descending);
    CHECK_FALSE(select.order_by[0].nulls_first.has_value());
    CHECK_FALSE(select.order_by[1].descending);
    CHECK_FALSE(select.order_by[2].descending);
    CHECK(select.order_by[2].nulls_first == std::optional<bool>(true));
    CHECK(select.order_by[3].nulls_first == std::optional<bool>(false));
    CHECK(Sexp(select.limit) == "10");
    CHECK(Sexp(select.offset) == "5");
  }

  TEST_CASE("parses SELECT without FROM, with ALL, and with OFFSET before LIMIT") {
    auto select = ParseAs<ast::Select>("SELECT 1+1");
    CHECK(select.from.empty());
    CHECK_FALSE(select.distinct);
    CHECK(Sexp(select.items[0].expr) == "(+ 1 1)");
    CHECK(select.where == nullptr);
    CHECK(select.limit == nullptr);

    select = ParseAs<ast::Select>("SELECT ALL a FROM t u OFFSET 3 LIMIT 4");
    CHECK_FALSE(select.distinct);
    CHECK(select.from[0].table.alias == "u");
    CHECK(Sexp(select.limit) == "4");
    CHECK(Sexp(select.offset) == "3");
  }

  TEST_CASE("parses UPDATE and DELETE") {
    auto update = ParseAs<ast::Update>("UPDATE t SET a = a + 1, B = 'x' WHERE id = 3");
    CHECK(update.table == "t");
    CHECK(update.table_position == 7);
    REQUIRE(update.assignments.size() == 2);
    CHECK(update.assignments[0].column == "a");
    CHECK(update.assignments[0].position == 13);
    CHECK(Sexp(update.assignments[0].value) == "(+ a 1)");
    CHECK(update.assignments[1].column == "b");
    CHECK(Sexp(update.where) == "(= id 3)");
    CHECK(ParseAs<ast::Update>("update t set a = 1").where == nullptr);

    auto del = ParseAs<ast::Delete>("DELETE FROM t WHERE a IS NULL");
    CHECK(del.table == "t");
    CHECK(del.table_position == 12);
    CHECK(Sexp(del.where) == "(ISNULL a)");
    CHECK(ParseAs<ast::Delete>("delete from t").where == nullptr);
  }

  TEST_CASE("parses SHOW TABLES and DESCRIBE") {
    ParseAs<ast::ShowTables>("show tables");
    ParseAs<ast::ShowTables>("SHOW TABLES;");
    auto describe = ParseAs<ast::Describe>("DESCRIBE Orders");
    CHECK(describe.table == "orders");
    CHECK(describe.table_position == 9);
    CHECK(ParseError("DESC t").position() == 0);
  }

  TEST_CASE("parses SHOW INDEXES with and without FROM, and INDEXES still names things") {
    CHECK(ParseAs<ast::ShowIndexes>("show indexes").table.empty());
    auto one = ParseAs<ast::ShowIndexes>("SHOW INDEXES FROM People;");
    CHECK(one.table == "people");
    CHECK(one.table_position == 18);
    CHECK(ParseError("SHOW INDEXES people").position() == 13);
    CHECK(ParseAs<ast::CreateTable>("CREATE TABLE indexes (indexes INT)").table == "indexes");
  }

  TEST_CASE("parses BACKUP TO and SHOW BACKUPS, and the new keywords still name columns") {
    auto backup = ParseAs<ast::Backup>("backup to 'nightly/it''s'");
    CHECK(backup.target == "nightly/it's");
    CHECK(backup.target_position == 10);
    ParseAs<ast::ShowBackups>("SHOW BACKUPS;");
    CHECK(ParseError("BACKUP TO nightly").position() == 10);  // a string, not a name
    CHECK(ParseError("BACKUP 'x'").position() == 7);
    auto create = ParseAs<ast::CreateTable>("CREATE TABLE backups (backup INT, to INT)");
    CHECK(create.table == "backups");
  }

  // ---- FROM, compound SELECT and subqueries ---------------------------------

  TEST_CASE("parses comma joins, JOIN ON, LEFT JOIN and CROSS JOIN into a flat FROM list") {
    auto select = ParseAs<ast::Select>(
        "SELECT * FROM a, b AS x JOIN c y ON x.id = y.id LEFT OUTER JOIN d ON d.k = 1 CROSS JOIN e "
        "INNER JOIN f ON TRUE LEFT JOIN g JOIN h CROSS JOIN i ON i.v > 0");
    REQUIRE(select.from.size() == 9);
    struct Expected {
      const char* table;
      const char* alias;
      int32_t position;
      ast::JoinKind join;
      const char* on;
      int32_t on_position;
    };
    const Expected expected[] = {
        {"a", "", 14, ast::JoinKind::kCross, "null", -1},
        {"b", "x", 17, ast::JoinKind::kCross, "null", -1},
        {"c", "y", 29, ast::JoinKind::kInner, "(= x.id y.id)", 36},
        {"d", "", 64, ast::JoinKind::kLeft, "(= d.k 1)", 69},
        {"e", "", 88, ast::JoinKind::kCross, "null", -1},
        {"f", "", 101, ast::JoinKind::kInner, "true", 106},
        {"g", "", 121, ast::JoinKind::kLeft, "true", 111},        // no ON: joins on TRUE
        {"h", "", 128, ast::JoinKind::kCross, "null", -1},        // JOIN without ON
        {"i", "", 141, ast::JoinKind::kInner, "(> i.v 0)", 146},  // CROSS JOIN with ON
    };
    for (size_t i = 0; i < std::size(expected); ++i) {
      CAPTURE(i);
      const ast::FromItem& item = select.from[i];
      CHECK(item.table.table == expected[i].table);
      CHECK(item.table.alias == expected[i].alias);
      CHECK(item.table.position == expected[i].position);
      CHECK(item.join == expected[i].join);
      CHECK(Sexp(item.on) == expected[i].on);
      if (item.on != nullptr) CHECK(item.on->position == expected[i].on_position);
    }
  }

  TEST_CASE("accepts aliases without AS and ignores SQLite's INDEXED BY and NOT INDEXED hints") {
    auto select = ParseAs<ast::Select>("SELECT cor0.col0 FROM tab0 cor0, tab1 AS cor1 NOT INDEXED");
    CHECK(SelectSexp(select) == "(SELECT cor0.col0 FROM tab0 cor0, tab1 cor1)");
    select = ParseAs<ast::Select>("SELECT * FROM t1 INDEXED BY t1i1 WHERE x > 0");
    CHECK(SelectSexp(select) == "(SELECT * FROM t1 WHERE (> x 0))");
    select = ParseAs<ast::Select>("SELECT * FROM t1 indexed INDEXED BY i JOIN index ON TRUE");
    CHECK(SelectSexp(select) == "(SELECT * FROM t1 indexed JOIN index ON true)");
    // Join keywords are reserved, so they are never taken for an alias.
    CHECK(ParseError("SELECT * FROM t join").position() == 20);
    CHECK(ParseError("SELECT * FROM t AS left").position() == 19);
  }

  TEST_CASE("flattens a parenthesised join where that keeps its meaning") {
    auto select = ParseAs<ast::Select>("SELECT 1 FROM (tab0 AS cor0 CROSS JOIN tab0 cor1)");
    CHECK(SelectSexp(select) == "(SELECT 1 FROM tab0 cor0, tab0 cor1)");
    CHECK(select.from[1].table.position == 39);

    // ON of the inner join and of the join to the group end up on its last table.
    select =
        ParseAs<ast::Select>("SELECT 1 FROM a JOIN (b JOIN c ON b.x = c.x) ON a.y = c.y, ((d))");
    CHECK(SelectSexp(select) == "(SELECT 1 FROM a, b JOIN c ON (AND (= b.x c.x) (= a.y c.y)), d)");
    CHECK(select.from[1].table.position == 22);
    CHECK(select.from[2].on->position == 34);
    CHECK(select.from[3].table.position == 61);
    select = ParseAs<ast::Select>("SELECT 1 FROM a JOIN (b, c) ON a.y = c.y");
    CHECK(SelectSexp(select) == "(SELECT 1 FROM a, b JOIN c ON (= a.y c.y))");
    select = ParseAs<ast::Select>("SELECT 1 FROM (a LEFT JOIN b ON a.x = b.x), c");
    CHECK(SelectSexp(select) == "(SELECT 1 FROM a LEFT JOIN b ON (= a.x b.x), c)");
    select = ParseAs<ast::Select>("SELECT 1 FROM a LEFT JOIN (b) ON a.x = b.x");
    CHECK(SelectSexp(select) == "(SELECT 1 FROM a LEFT JOIN b ON (= a.x b.x))");

    auto s = ParseError("SELECT 1 FROM a LEFT JOIN (b, c) ON TRUE");
    CHECK(s.code() == ErrorCode::kNotSupported);
    CHECK(s.position() == 26);
    s = ParseError("SELECT 1 FROM a JOIN (b LEFT JOIN c ON TRUE) ON TRUE");
    CHECK(s.code() == ErrorCode::kNotSupported);
    CHECK(s.position() == 21);
    CHECK(ParseError("SELECT 1 FROM (a) AS x").position() == 18);
    CHECK(ParseError("SELECT 1 FROM ()").position() == 15);
  }

  TEST_CASE("rejects NATURAL JOIN, JOIN USING and subqueries in FROM as not supported") {
    auto s = ParseError("SELECT * FROM a NATURAL JOIN b");
    CHECK(s.code() == ErrorCode::kNotSupported);
    CHECK(s.position() == 16);
    CHECK(s.message() == "NATURAL JOIN is not supported yet (line 1, column 17)");
    s = ParseError("SELECT * FROM a JOIN b USING (id)");
    CHECK(s.code() == ErrorCode::kNotSupported);
    CHECK(s.position() == 23);
    CHECK(s.message().starts_with("JOIN ... USING is not supported yet"));
    s = ParseError("SELECT * FROM a, (SELECT 1) AS s");
    CHECK(s.code() == ErrorCode::kNotSupported);
    CHECK(s.position() == 17);
    CHECK(s.message() == "subqueries in FROM are not supported yet (line 1, column 18)");
    CHECK(ParseError("SELECT * FROM (SELECT 1 UNION SELECT 2)").code() == ErrorCode::kNotSupported);
    CHECK(ParseError("SELECT * FROM a JOIN b ON").code() == ErrorCode::kSyntaxError);
    CHECK(ParseError("SELECT * FROM a JOIN b USING ()").code() == ErrorCode::kSyntaxError);
  }

  TEST_CASE("parses compound SELECTs with the final ORDER BY and LIMIT on the first SELECT") {
    auto select = ParseAs<ast::Select>(
        "SELECT a FROM t UNION SELECT b FROM u UNION ALL SELECT c FROM v INTERSECT SELECT 1 "
        "EXCEPT SELECT 2 ORDER BY 1 DESC LIMIT 3 OFFSET 1");
    CHECK(SelectSexp(select) ==
          "(SELECT a FROM t UNION (SELECT b FROM u) UNION ALL (SELECT c FROM v) "
          "INTERSECT (SELECT 1) EXCEPT (SELECT 2) ORDER BY 1 DESC LIMIT 3 OFFSET 1)");
    CHECK(select.position == 0);
    REQUIRE(select.compound.size() == 4);
    const std::pair<int32_t, int32_t> positions[] = {{16, 22}, {38, 48}, {64, 74}, {83, 90}};
    for (size_t i = 0; i < std::size(positions); ++i) {
      CAPTURE(i);
      const ast::CompoundTerm& term = select.compound[i];
      CHECK(term.position == positions[i].first);
      REQUIRE(term.select != nullptr);
      CHECK(term.select->position == positions[i].second);
      CHECK(term.select->compound.empty());
      CHECK(term.select->order_by.empty());
      CHECK(term.select->limit == nullptr);
    }
    CHECK(select.order_by[0].expr->position == 108);

    select = ParseAs<ast::Select>(
        "select distinct a from t group by a having count(*) > 1 union all select all b from u "
        "where b < 0 limit 2");
    CHECK(SelectSexp(select) ==
          "(SELECT DISTINCT a FROM t GROUP BY a HAVING (> (count *) 1) UNION ALL "
          "(SELECT b FROM u WHERE (< b 0)) LIMIT 2)");
    CHECK_FALSE(select.compound[0].select->distinct);

    // ORDER BY and LIMIT end the statement; a parenthesised SELECT is no operand.
    CHECK(ParseError("SELECT 1 ORDER BY 1 UNION SELECT 2").position() == 20);
    CHECK(ParseError("SELECT 1 LIMIT 1 UNION SELECT 2").position() == 17);
    CHECK(ParseError("(SELECT 1) UNION SELECT 2").position() == 0);
    CHECK(ParseError("SELECT 1 UNION (SELECT 2)").position() == 15);
    CHECK(ParseError("SELECT 1 UNION").position() == 14);
    CHECK(ParseError("SELECT 1 INTERSECT ALL SELECT 2").position() == 19);
  }

  TEST_CASE("parses scalar subqueries, EXISTS and IN with a subquery, nested and correlated") {
    const std::string sql =
        "SELECT (SELECT count(*) FROM t1 AS x WHERE x.b < t1.b) FROM t1 WHERE EXISTS (SELECT 1 "
        "FROM t2 WHERE t2.a = t1.a) AND NOT EXISTS (SELECT * FROM t3) AND a IN (SELECT b FROM t4 "
        "WHERE b NOT IN (SELECT c FROM t5 UNION SELECT 1))";
    auto select = ParseAs<ast::Select>(sql);
    CHECK(SelectSexp(select) ==
          "(SELECT (SELECT (count *) FROM t1 x WHERE (< x.b t1.b)) FROM t1 WHERE "
          "(AND (AND (EXISTS (SELECT 1 FROM t2 WHERE (= t2.a t1.a))) "
          "(NOT EXISTS (SELECT * FROM t3))) "
          "(IN a (SELECT b FROM t4 WHERE (NOT IN b (SELECT c FROM t5 UNION (SELECT 1)))))))");
    const auto& scalar = select.items[0].expr;
    CHECK(scalar->position == 7);
    CHECK(std::get<ast::ScalarSubquery>(scalar->node).query->position == 8);
    const auto& where = std::get<ast::Binary>(select.where->node);
    const auto& left = std::get<ast::Binary>(where.left->node);
    CHECK(left.left->position == 69);
    CHECK(std::get<ast::Exists>(left.left->node).query->position == 77);
    CHECK(left.right->position == 117);  // NOT EXISTS starts at NOT
    CHECK(std::get<ast::Exists>(left.right->node).negated);
    CHECK(std::get<ast::Exists>(left.right->node).query->position == 129);
    const auto& in = std::get<ast::InSubquery>(where.right->node);
    CHECK(where.right->position == 151);
    CHECK_FALSE(in.negated);
    CHECK(in.query->position == 157);
    const auto& not_in = std::get<ast::InSubquery>(in.query->where->node);
    CHECK(in.query->where->position == 180);
    CHECK(not_in.negated);
    CHECK(not_in.query->position == 190);
    CHECK(not_in.query->compound[0].position == 207);
    CHECK(not_in.query->compound[0].select->position == 213);

    // A subquery is an operand like any other.
    CHECK(ExprSexp("(SELECT 1) + 1") == "(+ (SELECT 1) 1)");
    CHECK(ExprSexp("-(SELECT 1)") == "(- (SELECT 1))");
    CHECK(ExprSexp("((SELECT 1))") == "(SELECT 1)");
    CHECK(ExprSexp("x = (SELECT 1 UNION SELECT 2 ORDER BY 1 LIMIT 1)") ==
          "(= x (SELECT 1 UNION (SELECT 2) ORDER BY 1 LIMIT 1))");
    CHECK(ExprSexp("(SELECT (SELECT (SELECT a)))") == "(SELECT (SELECT (SELECT a)))");
    CHECK(ExprSexp("f((SELECT 1), 2)") == "(f (SELECT 1) 2)");
    CHECK(ExprSexp("CASE WHEN EXISTS (SELECT 1) THEN (SELECT 2) END") ==
          "(CASE (WHEN (EXISTS (SELECT 1)) (SELECT 2)))");
    // Only NOT right before EXISTS folds into it.
    CHECK(ExprSexp("NOT (EXISTS (SELECT 1))") == "(NOT (EXISTS (SELECT 1)))");
    CHECK(ExprSexp("NOT EXISTS (SELECT 1) = 0") == "(NOT (= (EXISTS (SELECT 1)) 0))");
    CHECK(ExprSexp("NOT NOT EXISTS (SELECT 1)") == "(NOT (NOT EXISTS (SELECT 1)))");
    CHECK(ExprSexp("NOT EXISTS (SELECT 1) AND b") == "(AND (NOT EXISTS (SELECT 1)) b)");
    CHECK(ExprSexp("x NOT IN (SELECT 1) IS NULL") == "(ISNULL (NOT IN x (SELECT 1)))");

    CHECK(ParseError("SELECT EXISTS 1").position() == 14);
    CHECK(ParseError("SELECT EXISTS (1)").position() == 15);
    CHECK(ParseError("SELECT (SELECT 1").position() == 16);
    CHECK(ParseError("SELECT (SELECT 1 FROM (SELECT 2))").code() == ErrorCode::kNotSupported);
  }

  TEST_CASE("parses IN with an empty list and SQLite's IN tablename shorthand") {
    CHECK(ExprSexp("x IN ()") == "(IN x)");
    CHECK(ExprSexp("x NOT IN ( )") == "(NOT IN x)");
    CHECK(ExprSexp("NULL IN () IS NULL") == "(ISNULL (IN NULL))");
    auto select = ParseAs<ast::Select>("SELECT x IN t1, x NOT IN \"T\"");
    CHECK(Sexp(select.items[0].expr) == "(IN x (SELECT * FROM t1))");
    const auto& in = std::get<ast::InSubquery>(select.items[0].expr->node);
    CHECK(in.query->position == 12);
    CHECK(in.query->items[0].position == 12);
    CHECK(in.query->from[0].table.position == 12);
    CHECK(Sexp(select.items[1].expr) == "(NOT IN x (SELECT * FROM T))");
    CHECK(select.items[1].expr->position == 16);
    CHECK(std::get<ast::InSubquery>(select.items[1].expr->node).query->position == 25);
    CHECK(ParseError("SELECT x IN t.a").position() == 13);
    CHECK(ParseError("SELECT x IN 1").position() == 12);
  }

  TEST_CASE("parses parameter markers $1 to $65535 wherever a value may stand") {
    CHECK(ExprSexp("id = $1") == "(= id $1)");
    CHECK(ExprSexp("a BETWEEN $2 AND $10 + 1") == "(BETWEEN a $2 (+ $10 1))");
    CHECK(ExprSexp("x IN ($3, $1)") == "(IN x $3 $1)");
    CHECK(ExprSexp("CAST($65535 AS TEXT)") == "(CAST $65535 TEXT)");
    CHECK(ParseExpr("  $7")->position == 9);  // after "SELECT "
    CHECK(ParseError("SELECT $0").position() == 7);
    CHECK(ParseError("SELECT $0").message().find("out of range") != std::string::npos);
    CHECK(ParseError("SELECT $65536").code() == protocol::ErrorCode::kSyntaxError);
    CHECK(ParseError("SELECT $99999999999999999999").position() == 7);
    CHECK(ParseError("SELECT $").code() == protocol::ErrorCode::kSyntaxError);
    CHECK(ParseError("SELECT $a").code() == protocol::ErrorCode::kSyntaxError);
  }

  TEST_CASE("parses INSERT SELECT with and without a column list") {
    auto insert = ParseAs<ast::Insert>("INSERT INTO tab1 SELECT * FROM tab0");
    CHECK(insert.table == "tab1");
    CHECK(insert.columns.empty());
    CHECK(insert.rows.empty());
    REQUIRE(insert.select != nullptr);
    CHECK(SelectSexp(insert.select) == "(SELECT * FROM tab0)");
    CHECK(insert.select->position == 17);

    insert = ParseAs<ast::Insert>(
        "INSERT INTO t (a, b) SELECT x, y FROM u WHERE x > 1 UNION ALL SELECT 1, 2 ORDER BY 1 "
        "LIMIT 5");
    CHECK(insert.columns == std::vector<std::string>{"a", "b"});
    CHECK(SelectSexp(insert.select) ==
          "(SELECT x, y FROM u WHERE (> x 1) UNION ALL (SELECT 1, 2) ORDER BY 1 LIMIT 5)");
    CHECK(insert.select->position == 21);
    CHECK(insert.select->compound[0].position == 52);
    CHECK(ParseAs<ast::Insert>("INSERT INTO t VALUES (1)").select == nullptr);
    CHECK(ParseError("INSERT INTO t VALUES (1) SELECT 1").position() == 25);
    CHECK(ParseError("INSERT INTO t (SELECT 1)").position() == 15);
  }

  TEST_CASE("parses CREATE INDEX and DROP INDEX in all their forms") {
    auto create = ParseAs<ast::CreateIndex>(
        "CREATE UNIQUE INDEX IF NOT EXISTS Idx_1 ON Tab1 (col0 DESC, col1, col2 ASC)");
    CHECK(create.name == "idx_1");
    CHECK(create.name_position == 34);
    CHECK(create.table == "tab1");
    CHECK(create.table_position == 43);
    CHECK(create.unique);
    CHECK(create.if_not_exists);
    REQUIRE(create.columns.size() == 3);
    CHECK(create.columns[0].column == "col0");
    CHECK(create.columns[0].descending);
    CHECK(create.columns[0].position == 49);
    CHECK(create.columns[1].column == "col1");
    CHECK_FALSE(create.columns[1].descending);
    CHECK(create.columns[1].position == 60);
    CHECK_FALSE(create.columns[2].descending);
    CHECK(create.columns[2].position == 66);

    create = ParseAs<ast::CreateIndex>("create index i on t(a);");
    CHECK(create.name == "i");
    CHECK(create.name_position == 13);
    CHECK(create.table_position == 18);
    CHECK(create.columns[0].position == 20);
    CHECK_FALSE(create.unique);
    CHECK_FALSE(create.if_not_exists);
    // INDEX and IF are non-reserved, so they may name an index.
    CHECK(ParseAs<ast::CreateIndex>("CREATE INDEX index ON t (a)").name == "index");
    CHECK(ParseAs<ast::CreateIndex>("CREATE INDEX if ON t (a)").name == "if");

    auto drop = ParseAs<ast::DropIndex>("DROP INDEX IF EXISTS t1i1;");
    CHECK(drop.name == "t1i1");
    CHECK(drop.name_position == 21);
    CHECK(drop.if_exists);
    drop = ParseAs<ast::DropIndex>("drop index \"I\"");
    CHECK(drop.name == "I");
    CHECK_FALSE(drop.if_exists);

    CHECK(ParseError("CREATE INDEX i ON t ()").position() == 21);
    CHECK(ParseError("CREATE INDEX i ON t (a + 1)").position() == 23);
    CHECK(ParseError("CREATE INDEX ON t (a)").position() == 13);
    CHECK(ParseError("CREATE UNIQUE TABLE t (a INT)").position() == 14);
    CHECK(ParseError("DROP INDEX").position() == 10);
  }

  TEST_CASE("parses EXPLAIN of a statement and rejects EXPLAIN EXPLAIN") {
    auto explain = ParseAs<ast::Explain>("EXPLAIN SELECT a FROM t WHERE a IN (SELECT b FROM u)");
    REQUIRE(explain.target != nullptr);
    REQUIRE(std::holds_alternative<ast::Select>(explain.target->statement));
    const auto& select = std::get<ast::Select>(explain.target->statement);
    CHECK(select.position == 8);
    CHECK(select.from[0].table.position == 22);
    explain = ParseAs<ast::Explain>("explain insert into t select 1;");
    CHECK(std::holds_alternative<ast::Insert>(explain.target->statement));
    explain = ParseAs<ast::Explain>("EXPLAIN CREATE INDEX i ON t (a)");
    CHECK(std::holds_alternative<ast::CreateIndex>(explain.target->statement));
    explain = ParseAs<ast::Explain>("EXPLAIN DELETE FROM t");
    CHECK(std::holds_alternative<ast::Delete>(explain.target->statement));
    // EXPLAIN is non-reserved: a column may be called explain.
    CHECK(ExprSexp("explain") == "explain");

    auto s = ParseError("EXPLAIN EXPLAIN SELECT 1");
    CHECK(s.code() == ErrorCode::kSyntaxError);
    CHECK(s.position() == 8);
    CHECK(s.message() == "cannot EXPLAIN an EXPLAIN (line 1, column 9)");
    CHECK(ParseError("EXPLAIN").position() == 7);
    CHECK(ParseError("EXPLAIN SELECT 1 +").position() == 18);
  }

  TEST_CASE("parses the SQLite forms that sqllogictest uses") {
    CHECK(SelectSexp(ParseAs<ast::Select>(
              "SELECT ALL + col2 * - - + 5 AS col1, COUNT ( ALL col0 ), count(DISTINCT col1) "
              "FROM tab0 AS cor0 WHERE NOT ( - col0 ) IS NULL ORDER BY 1 DESC, 2")) ==
          "(SELECT (* (+ col2) (- (- (+ 5)))) AS col1, (count col0), (count DISTINCT col1) "
          "FROM tab0 cor0 WHERE (NOT (ISNULL (- col0))) ORDER BY 1 DESC, 2)");
    CHECK(ExprSexp("x NOT NULL") == "(NOTNULL x)");
    CHECK(ExprSexp("NOT x NOT NULL AND y") == "(AND (NOT (NOTNULL x)) y)");
    CHECK(ExprSexp("CAST ( - 3 AS INTEGER ) / NULLIF ( a, 0 )") ==
          "(/ (CAST -3 INTEGER) (nullif a 0))");
    CHECK(ExprSexp("COALESCE ( NULL, 1 ) <> 2 != 3 == 4") ==
          "(= (<> (<> (coalesce NULL 1) 2) 3) 4)");
    CHECK(ExprSexp("col0 NOT BETWEEN 1 AND 2 OR col1 NOT IN (1, NULL)") ==
          "(OR (NOT BETWEEN col0 1 2) (NOT IN col1 1 NULL))");
    auto select = ParseAs<ast::Select>(
        "SELECT DISTINCT * FROM tab1 AS cor0 CROSS JOIN tab0 AS cor1 WHERE cor0.col0 = cor1.col0");
    CHECK(SelectSexp(select) ==
          "(SELECT DISTINCT * FROM tab1 cor0, tab0 cor1 WHERE (= cor0.col0 cor1.col0))");
    CHECK(ParseError("SELECT count(DISTINCT *) FROM t").position() == 22);
    CHECK(ParseError("SELECT count(ALL *) FROM t").position() == 17);
  }

  TEST_CASE("answers BLOB literals and bitwise operators with kNotSupported at their position") {
    auto s = ParseError("SELECT x'303132' IN ()");
    CHECK(s.code() == ErrorCode::kNotSupported);
    CHECK(s.position() == 7);
    CHECK(s.message() == "BLOB literals are not supported (line 1, column 8)");
    s = ParseError("SELECT X'3' ");
    CHECK(s.code() == ErrorCode::kSyntaxError);
    CHECK(s.position() == 7);
    CHECK(ParseError("SELECT x'zz'").code() == ErrorCode::kSyntaxError);
    CHECK(ParseError("SELECT x 'ab'").position() == 9);  // no space inside a BLOB literal

    s = ParseError("SELECT 1 << 63, 2");
    CHECK(s.code() == ErrorCode::kNotSupported);
    CHECK(s.position() == 9);
    CHECK(s.message() == "operator << is not supported yet (line 1, column 10)");
    CHECK(ParseError("SELECT ~1").position() == 7);
    CHECK(ParseError("SELECT a & b").position() == 9);
    CHECK(ParseError("SELECT a | b").code() == ErrorCode::kNotSupported);
    CHECK(ParseError("SELECT a >> b").code() == ErrorCode::kNotSupported);
  }

  // ---- Expressions ----------------------------------------------------------

  TEST_CASE("gives operators the standard precedence and left associativity") {
    CHECK(ExprSexp("1+2*3") == "(+ 1 (* 2 3))");
    CHECK(ExprSexp("(1+2)*3") == "(* (+ 1 2) 3)");
    CHECK(ExprSexp("1-2-3") == "(- (- 1 2) 3)");
    CHECK(ExprSexp("8/4/2") == "(/ (/ 8 4) 2)");
    CHECK(ExprSexp("a % b * c") == "(* (% a b) c)");
    CHECK(ExprSexp("a || b || c") == "(|| (|| a b) c)");
    CHECK(ExprSexp("a || b + c") == "(|| a (+ b c))");
    CHECK(ExprSexp("a + b = c * d") == "(= (+ a b) (* c d))");
    CHECK(ExprSexp("a = b = c") == "(= (= a b) c)");
    CHECK(ExprSexp("a < b <> c") == "(<> (< a b) c)");
    CHECK(ExprSexp("NOT a = b") == "(NOT (= a b))");
    CHECK(ExprSexp("NOT a AND b") == "(AND (NOT a) b)");
    CHECK(ExprSexp("NOT NOT a") == "(NOT (NOT a))");
    CHECK(ExprSexp("a OR b AND c") == "(OR a (AND b c))");
    CHECK(ExprSexp("a AND b OR c") == "(OR (AND a b) c)");
    CHECK(ExprSexp("a OR b OR c") == "(OR (OR a b) c)");
    CHECK(ExprSexp("a = 1 OR NOT b < 2 AND c") == "(OR (= a 1) (AND (NOT (< b 2)) c))");
    CHECK(ExprSexp("a + b IS NULL") == "(ISNULL (+ a b))");
    CHECK(ExprSexp("NOT a IS NOT NULL") == "(NOT (NOTNULL a))");
    CHECK(ExprSexp("a = b IS NULL") == "(ISNULL (= a b))");
    CHECK(ExprSexp("a ISNULL OR b NOTNULL") == "(OR (ISNULL a) (NOTNULL b))");
    CHECK(ExprSexp("a = b LIKE c") == "(= a (LIKE b c))");
  }

  TEST_CASE("parses every comparison operator") {
    CHECK(ExprSexp("a = b") == "(= a b)");
    CHECK(ExprSexp("a == b") == "(= a b)");
    CHECK(ExprSexp("a <> b") == "(<> a b)");
    CHECK(ExprSexp("a != b") == "(<> a b)");
    CHECK(ExprSexp("a < b") == "(< a b)");
    CHECK(ExprSexp("a <= b") == "(<= a b)");
    CHECK(ExprSexp("a > b") == "(> a b)");
    CHECK(ExprSexp("a >= b") == "(>= a b)");
  }

  TEST_CASE("parses unary minus and plus, folding the sign into numbers") {
    CHECK(ExprSexp("-a") == "(- a)");
    CHECK(ExprSexp("+a") == "(+ a)");
    CHECK(ExprSexp("-a * b") == "(* (- a) b)");
    CHECK(ExprSexp("- - 1") == "(- -1)");
    CHECK(ExprSexp("-(1)") == "(- 1)");
    CHECK(ExprSexp("2 - -3") == "(- 2 -3)");
    CHECK(ExprSexp("-2 * 3") == "(* -2 3)");
    auto e = ParseExpr("-9223372036854775808");
    CHECK(LiteralOf(e) == Value::Integer(std::numeric_limits<int64_t>::min()));
    CHECK(e->position == 7);
    CHECK(LiteralOf(ParseExpr("9223372036854775807")) ==
          Value::Integer(std::numeric_limits<int64_t>::max()));
    CHECK(LiteralOf(ParseExpr("9223372036854775808")) == Value::Double(9223372036854775808.0));
    CHECK(LiteralOf(ParseExpr("-9223372036854775809")) == Value::Double(-9223372036854775809.0));
    CHECK(LiteralOf(ParseExpr("-1.5")) == Value::Double(-1.5));
  }

  TEST_CASE("parses BETWEEN, IN and LIKE with their negations") {
    CHECK(ExprSexp("x BETWEEN 1 AND 2") == "(BETWEEN x 1 2)");
    CHECK(ExprSexp("x NOT BETWEEN a + 1 AND b * 2") == "(NOT BETWEEN x (+ a 1) (* b 2))");
    CHECK(ExprSexp("x BETWEEN 1 AND 2 AND y") == "(AND (BETWEEN x 1 2) y)");
    CHECK(ExprSexp("a AND x BETWEEN 1 AND 2 AND y") == "(AND (AND a (BETWEEN x 1 2)) y)");
    CHECK(ExprSexp("x BETWEEN 1 AND 2 = TRUE") == "(= (BETWEEN x 1 2) true)");
    CHECK(ExprSexp("x IN (1, 2, 3)") == "(IN x 1 2 3)");
    CHECK(ExprSexp("x NOT IN ('a')") == "(NOT IN x 'a')");
    CHECK(ExprSexp("x + 1 IN (a = b, c)") == "(IN (+ x 1) (= a b) c)");
    CHECK(ExprSexp("name LIKE 'a%'") == "(LIKE name 'a%')");
    CHECK(ExprSexp("name NOT LIKE 'a' || '%'") == "(NOT LIKE name (|| 'a' '%'))");
    CHECK(ExprSexp("NOT x IN (1)") == "(NOT (IN x 1))");
  }

  TEST_CASE("parses literals") {
    CHECK(LiteralOf(ParseExpr("42")) == Value::Integer(42));
    CHECK(LiteralOf(ParseExpr("1.5")) == Value::Double(1.5));
    CHECK(LiteralOf(ParseExpr(".5")) == Value::Double(0.5));
    CHECK(LiteralOf(ParseExpr("1.")) == Value::Double(1.0));
    CHECK(LiteralOf(ParseExpr("1e10")) == Value::Double(1e10));
    CHECK(LiteralOf(ParseExpr("1.5E-3")) == Value::Double(1.5e-3));
    CHECK(LiteralOf(ParseExpr("2.5e+2")) == Value::Double(250.0));
    CHECK(LiteralOf(ParseExpr("007")) == Value::Integer(7));
    CHECK(LiteralOf(ParseExpr("TRUE")) == Value::Boolean(true));
    CHECK(LiteralOf(ParseExpr("false")) == Value::Boolean(false));
    CHECK(LiteralOf(ParseExpr("NuLl")).is_null());
    CHECK(LiteralOf(ParseExpr("'it''s'")) == Value::Text("it's"));
    CHECK(LiteralOf(ParseExpr("''")) == Value::Text(""));
    CHECK(LiteralOf(ParseExpr("''''")) == Value::Text("'"));
    CHECK(LiteralOf(ParseExpr("'a -- b /* c */'")) == Value::Text("a -- b /* c */"));
    CHECK(LiteralOf(ParseExpr("'line\nbreak'")) == Value::Text("line\nbreak"));
    CHECK(LiteralOf(ParseExpr("'Grüße, 世界'")) == Value::Text("Grüße, 世界"));
    CHECK(LiteralOf(ParseExpr("'\"'")) == Value::Text("\""));
    auto huge = ParseError("SELECT 1e999");
    CHECK(huge.code() == ErrorCode::kInvalidValue);
    CHECK(huge.position() == 7);
  }

  TEST_CASE("parses function calls, CASE and CAST") {
    CHECK(ExprSexp("count(*)") == "(count *)");
    CHECK(ExprSexp("COUNT(DISTINCT a)") == "(count DISTINCT a)");
    CHECK(ExprSexp("Lower(a, 'b')") == "(lower a 'b')");
    CHECK(ExprSexp("now()") == "(now)");
    CHECK(ExprSexp("\"MyFn\"(1)") == "(MyFn 1)");
    CHECK(ExprSexp("CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END") ==
          "(CASE (WHEN a 1) (WHEN b 2) (ELSE 3))");
    CHECK(ExprSexp("case x when 1 then 'one' end") == "(CASE x (WHEN 1 'one'))");
    CHECK(ExprSexp("CAST(a AS INTEGER)") == "(CAST a INTEGER)");
    CHECK(ExprSexp("cast('1.5' as double precision) + 1") == "(+ (CAST '1.5' DOUBLE) 1)");
    CHECK(ExprSexp("CAST(a AS varchar(3))") == "(CAST a TEXT)");
    CHECK(ExprSexp("CAST(a AS bool)") == "(CAST a BOOLEAN)");
    CHECK(ParseError("SELECT CAST(a AS blob)").position() == 17);
    CHECK(ParseError("SELECT CASE END").position() == 12);
    CHECK(ParseError("SELECT count(DISTINCT *)").position() == 22);
  }

  TEST_CASE("gives every expression the byte offset of its first token") {
    //                                            1         2         3
    //                                  0123456789012345678901234567890123
    auto select = ParseAs<ast::Select>("SELECT  (a + b) * -c, f(x) FROM t");
    const auto& mul = select.items[0].expr;
    CHECK(mul->position == 8);  // the product's first token is "("
    const auto& product = std::get<ast::Binary>(mul->node);
    CHECK(product.left->position == 9);  // parentheses add no node
    const auto& sum = std::get<ast::Binary>(product.left->node);
    CHECK(sum.left->position == 9);
    CHECK(sum.right->position == 13);
    CHECK(product.right->position == 18);
    CHECK(std::get<ast::Unary>(product.right->node).operand->position == 19);
    CHECK(select.items[0].position == 8);
    CHECK(select.items[1].expr->position == 22);
    CHECK(std::get<ast::FunctionCall>(select.items[1].expr->node).args[0]->position == 24);

    // Positions are bytes, not characters.
    auto where = ParseAs<ast::Select>("SELECT 'ü' WHERE b").where;
    CHECK(where->position == 18);
    auto multiline = ParseAs<ast::Select>("SELECT a\nFROM t\nWHERE\n  x = 1");
    CHECK(multiline.where->position == 24);
  }

  // ---- Lexical matters ------------------------------------------------------

  TEST_CASE("folds unquoted identifiers and keeps quoted ones as written") {
    auto select = ParseAs<ast::Select>(
        "SELECT Foo, \"Foo\", \"a \"\"q\"\" b\", T.Col, \"T\".\"Col\", _x1 FROM \"My Table\"");
    CHECK(Sexp(select.items[0].expr) == "foo");
    CHECK(Sexp(select.items[1].expr) == "Foo");
    CHECK(Sexp(select.items[2].expr) == "a \"q\" b");
    CHECK(Sexp(select.items[3].expr) == "t.col");
    CHECK(Sexp(select.items[4].expr) == "T.Col");
    CHECK(Sexp(select.items[5].expr) == "_x1");
    CHECK(select.from[0].table.table == "My Table");
    // Quoting makes a reserved word a name; non-reserved keywords need none.
    CHECK(ExprSexp("\"select\"") == "select");
    auto create = ParseAs<ast::CreateTable>(
        "CREATE TABLE tables (key INT, first TEXT, last TEXT, nulls INT, show INT, text TEXT)");
    CHECK(create.table == "tables");
    CHECK(create.columns[0].name == "key");
    CHECK(create.columns[5].name == "text");
    CHECK(ExprSexp("first") == "first");
    CHECK(ParseAs<ast::Select>("SELECT a last FROM t").items[0].alias == "last");
    auto s = ParseError("SELECT \"\" FROM t");
    CHECK(s.position() == 7);
    CHECK(s.message().starts_with("zero-length delimited identifier"));
    CHECK(ParseError("SELECT select").position() == 7);
  }

  TEST_CASE("treats keywords case-insensitively") {
    auto select = ParseAs<ast::Select>("sElEcT a FrOm t WhErE a iS nOt NuLl OrDeR bY a DeSc");
    CHECK(Sexp(select.where) == "(NOTNULL a)");
    CHECK(select.order_by[0].descending);
    ParseAs<ast::Insert>("insert INTO t VaLuEs (1)");
  }

  TEST_CASE("skips comments and whitespace, and allows one trailing semicolon") {
    auto select = ParseAs<ast::Select>(
        "-- leading comment\n"
        "SELECT /* inline */ a -- trailing\n"
        "FROM /* multi\n line */ t\t;  -- after the semicolon\n");
    CHECK(Sexp(select.items[0].expr) == "a");
    CHECK(select.from[0].table.table == "t");
    ParseAs<ast::Select>("SELECT 1 /**/");
    ParseAs<ast::Select>("SELECT 1 /* a * / b **/;");
    ParseAs<ast::Select>("  \r\n\f SELECT 1 --");
    CHECK(ExprSexp("2-1") == "(- 2 1)");
    CHECK(ExprSexp("2--1\n") == "2");  // -- starts a comment
  }

  // ---- Errors ---------------------------------------------------------------

  TEST_CASE("reports syntax errors at the offending token") {
    auto s = ParseError("SELEC 1");
    CHECK(s.code() == ErrorCode::kSyntaxError);
    CHECK(s.position() == 0);
    CHECK(s.message() == "syntax error at or near \"SELEC\" (line 1, column 1)");

    s = ParseError("SELECT FROM t");
    CHECK(s.position() == 7);
    CHECK(s.message() == "syntax error at or near \"FROM\" (line 1, column 8)");

    s = ParseError("SELECT 1 +");
    CHECK(s.position() == 10);
    CHECK(s.message() == "syntax error at end of input (line 1, column 11)");

    s = ParseError("INSERT INTO t VALUES (1,");
    CHECK(s.position() == 24);
    CHECK(s.message() == "syntax error at end of input (line 1, column 25)");

    s = ParseError("SELECT a\nFROM t\nWHERE a = = 1");
    CHECK(s.position() == 26);
    CHECK(s.message() == "syntax error at or near \"=\" (line 3, column 11)");

    s = ParseError("SELECT 1; SELECT 2");
    CHECK(s.position() == 10);
    CHECK(s.message() == "syntax error at or near \"SELECT\" (line 1, column 11)");

    CHECK(ParseError("SELECT 1;;").position() == 9);
    CHECK(ParseError("").message() == "syntax error at end of input (line 1, column 1)");
    CHECK(ParseError("   ").position() == 3);
    CHECK(ParseError(";").position() == 0);
    CHECK(ParseError("SELECT a b c FROM t").position() == 11);
    CHECK(ParseError("SELECT * FROM t WHERE").position() == 21);
    CHECK(ParseError("SELECT x BETWEEN 1 OR 2").position() == 19);
    CHECK(ParseError("SELECT x IN (,)").position() == 13);
    CHECK(ParseError("SELECT (1").position() == 9);
    CHECK(ParseError("SELECT 1)").position() == 8);
    CHECK(ParseError("UPDATE t SET a == 1").position() == 15);
    CHECK(ParseError("DELETE t").position() == 7);
    CHECK(ParseError("SELECT a FROM t LIMIT 1, 2").position() == 23);
    CHECK(ParseError("SELECT 'ü' FROM t WHERE ,").message() ==
          "syntax error at or near \",\" (line 1, column 25)");
  }

  TEST_CASE("reports lexical errors with their position") {
    auto s = ParseError("SELECT 'abc");
    CHECK(s.code() == ErrorCode::kSyntaxError);
    CHECK(s.position() == 7);
    CHECK(s.message() == "unterminated quoted string at or near \"'abc\" (line 1, column 8)");

    s = ParseError("SELECT 'a''");
    CHECK(s.position() == 7);
    s = ParseError("SELECT 'ok', 'no");
    CHECK(s.position() == 13);
    s = ParseError("SELECT \"abc");
    CHECK(s.position() == 7);
    CHECK(s.message().starts_with("unterminated quoted identifier"));
    s = ParseError("SELECT 1 /* never closed");
    CHECK(s.position() == 9);
    CHECK(s.message().starts_with("unterminated /* comment"));

    s = ParseError("SELECT a # b");
    CHECK(s.position() == 9);
    CHECK(s.message() == "syntax error at or near \"#\" (line 1, column 10)");
    CHECK(ParseError("SELECT a ! b").position() == 9);
    CHECK(ParseError("SELECT a ^ b").position() == 9);
    CHECK(ParseError("SELECT ü").position() == 7);
    CHECK(ParseError("SELECT 1 \x01").message() ==
          "syntax error at or near \"\\x01\" (line 1, column 10)");

    const std::string long_string = "SELECT '" + std::string(1000, 'x');
    s = ParseError(long_string);
    CHECK(s.position() == 7);
    CHECK(s.message().size() < 120);
  }

  TEST_CASE("rejects invalid UTF-8 and NUL bytes") {
    auto s = ParseError(std::string_view("SELECT 1\0", 9));
    CHECK(s.code() == ErrorCode::kSyntaxError);
    CHECK(s.position() == 8);
    s = ParseError("SELECT 'a\xff'");
    CHECK(s.position() == 9);
    CHECK(s.message() == "invalid byte sequence for encoding \"UTF8\": 0xff (line 1, column 10)");
    CHECK(ParseError("SELECT '\xc3'").position() == 8);              // truncated sequence
    CHECK(ParseError("SELECT '\xc0\xaf'").position() == 8);          // overlong
    CHECK(ParseError("SELECT '\xed\xa0\x80'").position() == 8);      // surrogate
    CHECK(ParseError("SELECT '\xf4\x90\x80\x80'").position() == 8);  // above U+10FFFF
    CHECK(ParseError("SELECT 'é\x80'").position() == 10);            // stray continuation byte
    ParseAs<ast::Select>("SELECT '\xf0\x9f\x98\x80'");               // a valid 4-byte character
  }

  // ---- Hostile input --------------------------------------------------------

  TEST_CASE("rejects deep nesting with a SyntaxError instead of overflowing the stack") {
    constexpr int kDeep = 10000;
    auto nested = [](std::string_view open, std::string_view middle, std::string_view close,
                     int n) {
      std::string s = "SELECT ";
      for (int i = 0; i < n; ++i) s += open;
      s += middle;
      for (int i = 0; i < n; ++i) s += close;
      return s;
    };
    auto s = ParseError(nested("(", "1", ")", kDeep));
    CHECK(s.code() == ErrorCode::kSyntaxError);
    CHECK(s.position() == 7 + 200);
    CHECK(s.message().starts_with("parentheses nested too deeply (more than 200 levels)"));
    ParseAs<ast::Select>(nested("(", "1", ")", 200));
    CHECK(ParseError(nested("(", "1", "", kDeep)).code() == ErrorCode::kSyntaxError);
    CHECK(ParseError(nested("f(", "1", ")", kDeep)).code() == ErrorCode::kSyntaxError);
    CHECK(ParseError(nested("NOT ", "a", "", kDeep)).code() == ErrorCode::kSyntaxError);
    CHECK(ParseError(nested("- ", "a", "", kDeep)).code() == ErrorCode::kSyntaxError);
    CHECK(ParseError(nested("+", "a", "", kDeep)).code() == ErrorCode::kSyntaxError);
    CHECK(ParseError(nested("CASE WHEN ", "a", " THEN 1 END", kDeep)).code() ==
          ErrorCode::kSyntaxError);
    CHECK(ParseError(nested("a = NOT ", "b", "", kDeep)).code() == ErrorCode::kSyntaxError);
    CHECK(ParseError(nested("CAST(", "a", " AS INT)", kDeep)).code() == ErrorCode::kSyntaxError);
    CHECK(ParseError(nested("x IN (", "1", ")", kDeep)).code() == ErrorCode::kSyntaxError);

    // Long flat chains parse without recursion in ANTLR, but would make a
    // deep AST: the builder stops them at kMaxExpressionDepth.
    std::string chain = "SELECT 1";
    for (int i = 0; i < 100000; ++i) chain += "+1";
    s = ParseError(chain);
    CHECK(s.code() == ErrorCode::kSyntaxError);
    CHECK(s.message().starts_with("expression nested too deeply"));
    std::string ors = "SELECT a FROM t WHERE a = 0";
    for (int i = 1; i < 500; ++i) ors += fmt::format(" OR a = {}", i);
    ParseAs<ast::Select>(ors);
    // Subqueries nest through the same guards: parentheses, rule depth, and
    // an expression depth that runs on from a subquery's enclosing expression.
    CHECK(ParseError(nested("(SELECT ", "1", ")", kDeep)).position() == 7 + 8 * 200);
    ParseAs<ast::Select>(nested("(SELECT ", "1", ")", 90));
    ParseAs<ast::Select>(nested("x IN (SELECT ", "1", ")", 100));
    s = ParseError(nested("EXISTS (SELECT ", "1", ")", 150));
    CHECK(s.code() == ErrorCode::kSyntaxError);
    CHECK(s.message().starts_with("statement nested too deeply"));
    CHECK(ParseError(nested("(SELECT 1 UNION SELECT ", "1", ")", 150)).code() ==
          ErrorCode::kSyntaxError);
    std::string joins = "SELECT 1 FROM ";
    for (int i = 0; i < 199; ++i) joins += "(t JOIN ";
    joins += "u";
    for (int i = 0; i < 199; ++i) joins += " ON TRUE)";
    s = ParseError(joins);
    CHECK(s.message().starts_with("statement nested too deeply"));
    std::string sums = "SELECT 1";
    for (int i = 0; i < 90; ++i) sums = "SELECT (" + sums + ") +1+1+1+1+1+1+1+1+1+1+1+1+1";
    s = ParseError(sums);
    CHECK(s.message().starts_with("expression nested too deeply"));

    // Wide is fine: long lists are loops, not recursion.
    std::string wide = "SELECT a IN (0";
    for (int i = 1; i < 100000; ++i) wide += fmt::format(",{}", i);
    ParseAs<ast::Select>(wide + ")");
  }

  TEST_CASE("deep nesting fails cleanly even on a small stack") {
    // Run the worst inputs on a thread with 512 KiB of stack instead of the
    // usual 8 MiB (a parse at the limits needs about 250 KiB): a stack
    // overflow would crash the test binary.
    std::vector<std::string> inputs;
    auto add = [&](std::string_view open, int n) {
      std::string s = "SELECT ";
      for (int i = 0; i < n; ++i) s += open;
      inputs.push_back(s + "a");
    };
    add("(", 200);
    add("NOT ", 490);  // just below the parser's depth limit
    add("NOT ", 5000);
    add("- ", 5000);
    add("a = NOT ", 5000);
    add("CASE WHEN ", 5000);
    add("(NOT ", 199);
    add("f(- ", 199);
    std::string chain = "SELECT 1";
    for (int i = 0; i < 5000; ++i) chain += "*1";
    inputs.push_back(chain);
    inputs.push_back(chain.substr(0, 7 + 2 * 995));  // just below kMaxExpressionDepth
    // Valid nested subqueries at the deepest the parser accepts, which the
    // builder then recurses through too.
    auto nested = [&](std::string_view start, std::string_view open, std::string_view middle,
                      std::string_view close, int n) {
      std::string s(start);
      for (int i = 0; i < n; ++i) s += open;
      s += middle;
      for (int i = 0; i < n; ++i) s += close;
      inputs.push_back(s);
    };
    nested("SELECT ", "(SELECT ", "1", ")", 98);
    nested("SELECT ", "NOT EXISTS (SELECT ", "1", ")", 82);
    nested("SELECT ", "x IN (SELECT ", "1", ")", 123);
    nested("SELECT ", "(SELECT 1 FROM t WHERE a IN (SELECT ", "1", "))", 61);
    nested("SELECT ", "(SELECT ", "1", ")", 200);
    nested("SELECT 1 FROM ", "(t JOIN ", "u", " ON TRUE)", 150);
    nested("SELECT 1 FROM ", "(t JOIN ", "u", " ON TRUE)", 199);
    std::vector<bool> ok(inputs.size());
    std::vector<bool> syntax_error(inputs.size());
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, kSmallStackBytes);
    struct Job {
      std::vector<std::string>* inputs;
      std::vector<bool>* ok;
      std::vector<bool>* syntax_error;
    } job{&inputs, &ok, &syntax_error};
    pthread_t thread;
    auto run = [](void* arg) -> void* {
      auto* j = static_cast<Job*>(arg);
      for (size_t i = 0; i < j->inputs->size(); ++i) {
        auto result = ParseStatement((*j->inputs)[i]);
        (*j->ok)[i] = result.ok();
        (*j->syntax_error)[i] = result.status().code() == ErrorCode::kSyntaxError;
      }
      return nullptr;
    };
    REQUIRE(pthread_create(&thread, &attr, run, &job) == 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attr);
    for (size_t i = 0; i < inputs.size(); ++i) {
      CHECK_MESSAGE((ok[i] || syntax_error[i]), inputs[i].substr(0, 40));
    }
  }

  // Statements that exercise every rule, used as seeds for the fuzz loop.
  const char* const kSeeds[] = {
      "CREATE TABLE IF NOT EXISTS t (id INT NOT NULL, name VARCHAR(20) NOT NULL DEFAULT 'x', "
      "p DOUBLE PRECISION, PRIMARY KEY (id))",
      "DROP TABLE IF EXISTS t;",
      "INSERT INTO t (a, b) VALUES (1, 'it''s'), (-2.5e3, NULL)",
      "SELECT DISTINCT t.*, a AS x, count(*), sum(DISTINCT b) FROM t u WHERE a = 1 AND NOT b <> 2 "
      "OR c IS NOT NULL AND d BETWEEN 1 AND 2 AND e NOT IN (1, 2) AND f LIKE 'x%' GROUP BY a "
      "HAVING count(*) > 1 ORDER BY a DESC NULLS LAST LIMIT 10 OFFSET 5",
      "SELECT CASE a WHEN 1 THEN 'x' ELSE 'y' END, CAST(a AS BIGINT), (1 + 2) * -3 || \"Q\"",
      "UPDATE t SET a = a + 1, b = 'x' WHERE a <= 3 -- comment",
      "DELETE FROM t WHERE /* c */ a > 1",
      "SHOW TABLES",
      "DESCRIBE t",
      "SELECT a FROM t1 x, (t2 CROSS JOIN t3) JOIN t4 ON x.a = t4.a LEFT OUTER JOIN t5 y ON TRUE "
      "WHERE EXISTS (SELECT 1 FROM t6 WHERE t6.b = x.b) AND a NOT IN (SELECT c FROM t7) AND "
      "b IN t8 AND c IN () AND (SELECT max(d) FROM t9) > 0 AND d NOT NULL UNION ALL SELECT 2 "
      "EXCEPT SELECT 3 ORDER BY 1 LIMIT 1",
      "INSERT INTO t (a) SELECT a FROM u INTERSECT SELECT 1",
      "CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a DESC, b ASC, c)",
      "DROP INDEX IF EXISTS i;",
      "EXPLAIN SELECT NOT EXISTS (SELECT * FROM t NOT INDEXED)",
  };

  bool Acceptable(const protocol::Status& s, size_t size) {
    if (s.ok()) return true;
    const bool code_ok = s.code() == ErrorCode::kSyntaxError ||
                         s.code() == ErrorCode::kNotSupported ||
                         s.code() == ErrorCode::kInvalidValue;
    const bool position_ok = !s.has_position() || static_cast<size_t>(s.position()) <= size;
    return code_ok && position_ok;
  }

  TEST_CASE("never crashes on random, truncated or mutated input") {
    std::mt19937 rng(20240601);
    int failures = 0;
    auto check = [&](const std::string& sql) {
      auto result = ParseStatement(sql);
      if (!Acceptable(result.status(), sql.size())) {
        ++failures;
        MESSAGE("unexpected result for ", fmt::format("{:?}", sql.substr(0, 80)), ": ",
                result.status().ToString());
      }
    };
    for (const char* seed : kSeeds) {
      const std::string s = seed;
      CHECK_MESSAGE(ParseStatement(s).ok(), s);
      for (size_t n = 0; n <= s.size(); ++n) check(s.substr(0, n));  // every prefix
    }
    const std::string alphabet = "()'\",;.*+-/%|=<>!#\n -- /* */ aZ_09eE SELECT FROM WHERE NOT AND";
    for (int i = 0; i < 3000; ++i) {
      std::string s;
      switch (i % 3) {
        case 0: {  // random bytes, including NUL and invalid UTF-8
          s.resize(rng() % 64);
          for (char& c : s) c = static_cast<char>(rng() % 256);
          break;
        }
        case 1: {  // random SQL-ish characters
          s.resize(rng() % 64);
          for (char& c : s) c = alphabet[rng() % alphabet.size()];
          break;
        }
        default: {  // a seed with a few bytes replaced, inserted or removed
          s = kSeeds[rng() % std::size(kSeeds)];
          for (int edits = 1 + static_cast<int>(rng() % 4); edits > 0 && !s.empty(); --edits) {
            const size_t at = rng() % s.size();
            const char c = alphabet[rng() % alphabet.size()];
            switch (rng() % 3) {
              case 0:
                s[at] = c;
                break;
              case 1:
                s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c);
                break;
              default:
                s.erase(at, 1);
                break;
            }
          }
          break;
        }
      }
      check(s);
    }
    CHECK(failures == 0);
  }

  TEST_CASE("parses from many threads at once") {
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([t, &failures] {
        for (int i = 0; i < 300; ++i) {
          const char* sql = kSeeds[(i + t) % std::size(kSeeds)];
          if (!ParseStatement(sql).ok()) ++failures[t];
          if (ParseStatement("SELECT (1 +").ok()) ++failures[t];
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(failures == std::vector<int>(4, 0));
  }

  TEST_CASE("measures parse time of short statements" * doctest::skip()) {
    auto measure = [](std::string_view sql) {
      constexpr int kRuns = 20000;
      for (int i = 0; i < 1000; ++i) (void)ParseStatement(sql);
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < kRuns; ++i) (void)ParseStatement(sql);
      const std::chrono::duration<double, std::micro> elapsed =
          std::chrono::steady_clock::now() - start;
      MESSAGE(fmt::format("{:7.2f} us  {}", elapsed.count() / kRuns, sql));
    };
    measure("SELECT a, b FROM t WHERE id = 42");
    measure("INSERT INTO t (id, name, price) VALUES (1, 'widget', 9.99)");
    measure("INSERT INTO t VALUES (1, 'widget', 9.99)");
    measure("UPDATE t SET price = price * 1.1 WHERE id BETWEEN 1 AND 100");
    measure("SELEC 1");
  }

}  // TEST_SUITE

}  // namespace
}  // namespace kopf::cerebellum
