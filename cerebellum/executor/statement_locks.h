// StatementLocks: the table locks one statement holds from its first read
// to its end — shared on every table it reads, exclusive on the table it
// writes. Locks are always taken in table-name order, so two statements
// can never wait for each other in a cycle.
//
// Thread-safety: owned by the statement's thread.
#pragma once

#include <memory>
#include <vector>

#include "cerebellum/binder/bound_statement.h"
#include "cerebrum/table.h"

namespace kopf::cerebellum {

class StatementLocks {
 public:
  // REQUIRES: `target` (may be null) outlives this object.
  StatementLocks(const TableSet& reads, cerebrum::Table* target);
  StatementLocks(const StatementLocks&) = delete;
  StatementLocks& operator=(const StatementLocks&) = delete;

  // Hands the target's exclusive lock to Table::Commit, which releases it
  // before waiting for durability. The shared locks stay until destruction.
  cerebrum::Table::ExclusiveLock TakeExclusive() { return std::move(exclusive_); }

 private:
  std::vector<cerebrum::Table::SharedLock> shared_;
  cerebrum::Table::ExclusiveLock exclusive_;
};

}  // namespace kopf::cerebellum
