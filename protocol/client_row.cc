#include "protocol/client_row.h"

#include <string>

namespace kopf::protocol {

namespace {

std::string ColumnName(const std::vector<ColumnInfo>& columns, size_t i) {
  return "column " + std::to_string(i) + " (\"" + columns[i].name + "\")";
}

}  // namespace

Result<size_t> RowRef::index(std::string_view name) const {
  for (size_t i = 0; i < columns_->size(); ++i) {
    if ((*columns_)[i].name == name) return i;
  }
  std::string names;
  for (const ColumnInfo& c : *columns_) names += (names.empty() ? "" : ", ") + c.name;
  return Status::UndefinedColumn("the result has no column \"" + std::string(name) +
                                 "\"; its columns are: " + names);
}

Result<bool> RowRef::is_null(size_t i) const {
  if (i >= row_->size()) {
    return Status::InvalidValue("column " + std::to_string(i) + " is past the end: the result has " +
                                std::to_string(row_->size()) + " columns");
  }
  return (*row_)[i].is_null();
}

Result<bool> RowRef::is_null(std::string_view name) const {
  KOPF_ASSIGN_OR_RETURN(size_t i, index(name));
  return is_null(i);
}

Result<const Value*> RowRef::Cell(size_t i, Type want, bool nullable,
                                  std::string_view cpp_type) const {
  KOPF_ASSIGN_OR_RETURN(bool null, is_null(i));
  const Value& v = (*row_)[i];
  if (null) {
    if (nullable) return &v;
    return Status::InvalidValue(ColumnName(*columns_, i) + " is NULL; read it as std::optional<" +
                                std::string(cpp_type) + "> where NULL is expected");
  }
  bool widen = want == Type::kDouble && v.type() == Type::kInteger;
  if (v.type() != want && !widen) {
    return Status::TypeMismatch(ColumnName(*columns_, i) + " holds " +
                                std::string(TypeName(v.type())) + ", which cannot be read as " +
                                std::string(cpp_type));
  }
  return &v;
}

}  // namespace kopf::protocol
