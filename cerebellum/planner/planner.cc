#include "cerebellum/planner/planner.h"

#include "cerebrum/table.h"

namespace kopf::cerebellum {

void Plan(BoundStatement* statement) {
  struct Visitor {
    void operator()(BoundSelect& s) const {
      if (s.table) s.access = ChooseAccessPath(s.table->schema(), s.where.get());
    }
    void operator()(BoundUpdate& s) const {
      s.access = ChooseAccessPath(s.table->schema(), s.where.get());
    }
    void operator()(BoundDelete& s) const {
      s.access = ChooseAccessPath(s.table->schema(), s.where.get());
    }
    void operator()(BoundCreateTable&) const {}
    void operator()(BoundDropTable&) const {}
    void operator()(BoundInsert&) const {}
    void operator()(BoundShowTables&) const {}
    void operator()(BoundDescribe&) const {}
  };
  std::visit(Visitor{}, *statement);
}

}  // namespace kopf::cerebellum
