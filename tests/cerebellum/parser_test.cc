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

// The expression as an S-expression, e.g. (+ 1 (* 2 3)).
std::string Sexp(const ast::Expr& e);
std::string Sexp(const ast::ExprPtr& e) { return e == nullptr ? "null" : Sexp(*e); }

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

  TEST_CASE("answers UNIQUE with kNotSupported at its position") {
    auto s = ParseError("CREATE TABLE t (a INT UNIQUE)");
    CHECK(s.code() == ErrorCode::kNotSupported);
    CHECK(s.position() == 22);
    s = ParseError("CREATE TABLE t (a INT, UNIQUE (a))");
    CHECK(s.code() == ErrorCode::kNotSupported);
    CHECK(s.position() == 23);
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
    REQUIRE(select.from.has_value());
    CHECK(select.from->table == "tab");
    CHECK(select.from->alias == "t");
    CHECK(select.from->position == 51);
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
    CHECK_FALSE(select.from.has_value());
    CHECK_FALSE(select.distinct);
    CHECK(Sexp(select.items[0].expr) == "(+ 1 1)");
    CHECK(select.where == nullptr);
    CHECK(select.limit == nullptr);

    select = ParseAs<ast::Select>("SELECT ALL a FROM t u OFFSET 3 LIMIT 4");
    CHECK_FALSE(select.distinct);
    CHECK(select.from->alias == "u");
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
    CHECK(select.from->table == "My Table");
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
    CHECK(select.from->table == "t");
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
    CHECK(ParseError("SELECT x IN ()").position() == 13);
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
    CHECK(ParseError("SELECT a | b").position() == 9);
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
