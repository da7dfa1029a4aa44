#include "cerebellum/executor/statement_locks.h"

#include <algorithm>

namespace kopf::cerebellum {

StatementLocks::StatementLocks(const TableSet& reads, cerebrum::Table* target) {
  std::vector<cerebrum::Table*> tables;
  for (const auto& t : reads) tables.push_back(t.get());
  if (target) tables.push_back(target);
  std::sort(tables.begin(), tables.end(), [](cerebrum::Table* a, cerebrum::Table* b) {
    if (a->schema().name != b->schema().name) return a->schema().name < b->schema().name;
    return a < b;  // a dropped table and its successor may share a name
  });
  tables.erase(std::unique(tables.begin(), tables.end()), tables.end());
  for (cerebrum::Table* t : tables) {
    if (t == target) {
      exclusive_ = t->LockExclusive();
    } else {
      shared_.push_back(t->LockShared());
    }
  }
}

}  // namespace kopf::cerebellum
