// CREATE TABLE [IF NOT EXISTS] t (col type [constraint ...], ..., [PRIMARY KEY (a, b)])
//
// Checked here, because they are about how the statement is written:
// at most one PRIMARY KEY (column- or table-level), no NULL next to NOT NULL,
// at most one DEFAULT per column. UNIQUE, on a column or a list of them,
// becomes an entry of unique_keys.
// Left to the binder: duplicate column names, key columns that do not exist,
// the DEFAULT's type, and that key columns are implicitly NOT NULL.
#include <string>
#include <utility>

#include <fmt/format.h>

#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

using protocol::ErrorCode;
using protocol::Result;
using protocol::Status;

namespace {

using P = kopf_generated::KopfParser;

Status MultiplePrimaryKeys(const Builder& b, const antlr4::Token* at, const std::string& table) {
  return b.ErrorAt(ErrorCode::kSyntaxError, at,
                   fmt::format("multiple primary keys for table \"{}\" are not allowed", table));
}

}  // namespace

Result<ast::CreateTable> Builder::BuildCreateTable(P::CreateTableStatementContext* ctx) {
  ast::CreateTable create;
  create.table = Identifier(ctx->table);
  create.table_position = Position(ctx->table);
  create.if_not_exists = ctx->K_IF() != nullptr;
  bool has_primary_key = false;

  for (P::TableElementContext* element : ctx->elements) {
    if (P::ColumnDefContext* def = element->columnDef()) {
      ast::ColumnDef column;
      column.name = Identifier(def->name);
      column.position = Position(def->name);
      KOPF_ASSIGN_OR_RETURN(column.type, BuildTypeName(def->typeName()));
      const antlr4::Token* null_seen = nullptr;
      const antlr4::Token* not_null_seen = nullptr;
      for (P::ColumnConstraintContext* constraint : def->constraints) {
        const antlr4::Token* at = constraint->getStart();
        switch (at->getType()) {
          case P::K_PRIMARY:
            if (has_primary_key) return MultiplePrimaryKeys(*this, at, create.table);
            has_primary_key = true;
            column.primary_key = true;
            break;
          case P::K_NOT:
            not_null_seen = at;
            column.not_null = true;
            break;
          case P::K_NULL:
            null_seen = at;
            break;
          case P::K_DEFAULT: {
            if (column.default_value != nullptr) {
              return ErrorAt(
                  ErrorCode::kSyntaxError, at,
                  fmt::format("multiple default values specified for column \"{}\"", column.name));
            }
            auto* with_default = dynamic_cast<P::DefaultConstraintContext*>(constraint);
            if (with_default == nullptr) return Status::Internal("parser: malformed DEFAULT");
            KOPF_ASSIGN_OR_RETURN(column.default_value, BuildArith(with_default->value));
            break;
          }
          default:  // K_UNIQUE
            create.unique_keys.push_back({{column.name}, Position(at)});
            break;
        }
        if (null_seen != nullptr && not_null_seen != nullptr) {
          return ErrorAt(
              ErrorCode::kSyntaxError, at,
              fmt::format("conflicting NULL/NOT NULL declarations for column \"{}\"", column.name));
        }
      }
      create.columns.push_back(std::move(column));
      continue;
    }

    P::TableConstraintContext* constraint = element->tableConstraint();
    const antlr4::Token* at = constraint->getStart();
    if (auto* unique = dynamic_cast<P::TableUniqueContext*>(constraint)) {
      ast::UniqueKey key;
      key.position = Position(at);
      for (P::IdentifierContext* column : unique->columns) key.columns.push_back(Identifier(column));
      create.unique_keys.push_back(std::move(key));
      continue;
    }
    auto* key = dynamic_cast<P::TablePrimaryKeyContext*>(constraint);
    if (key == nullptr) return Status::Internal("parser: unknown table constraint");
    if (has_primary_key) return MultiplePrimaryKeys(*this, at, create.table);
    has_primary_key = true;
    create.primary_key_position = Position(at);
    create.primary_key.reserve(key->columns.size());
    for (P::IdentifierContext* column : key->columns) {
      create.primary_key.push_back(Identifier(column));
    }
  }
  if (P::PartitionByContext* by = ctx->partitionBy()) {
    KOPF_ASSIGN_OR_RETURN(create.partition_by, BuildPartitionBy(by));
  }
  return create;
}

// PARTITION BY HASH (c) PARTITIONS n | PARTITION BY RANGE (c) (PARTITION p
// VALUES LESS THAN (x | MAXVALUE), ...). The count's range, the column and
// the bounds are the binder's to check.
Result<ast::PartitionBy> Builder::BuildPartitionBy(P::PartitionByContext* ctx) {
  ast::PartitionBy by;
  if (auto* hash = dynamic_cast<P::HashPartitioningContext*>(ctx)) {
    by.kind = ast::PartitionBy::Kind::kHash;
    by.column = Identifier(hash->column);
    by.column_position = Position(hash->column);
    by.count_position = Position(hash->count);
    const std::string digits = hash->count->getText();
    // More digits than any allowed count: the binder reports the range.
    by.count = digits.size() > 9 ? int64_t{1} << 40 : std::stoll(digits);
    return by;
  }
  auto* range = dynamic_cast<P::RangePartitioningContext*>(ctx);
  if (range == nullptr) return Status::Internal("parser: unknown PARTITION BY");
  by.kind = ast::PartitionBy::Kind::kRange;
  by.column = Identifier(range->column);
  by.column_position = Position(range->column);
  for (P::RangePartitionContext* part : range->parts) {
    ast::PartitionBy::RangePartition p;
    p.name = Identifier(part->name);
    p.position = Position(part->name);
    if (part->bound != nullptr) {
      KOPF_ASSIGN_OR_RETURN(p.bound, BuildArith(part->bound));
    }
    by.partitions.push_back(std::move(p));
  }
  return by;
}

}  // namespace kopf::cerebellum::parser
