// BACKUP TO 'folder' and SHOW BACKUPS
#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::Backup> Builder::BuildBackup(P::BackupStatementContext* ctx) {
  ast::Backup backup;
  backup.target = StringLiteral(ctx->target);
  backup.target_position = Position(ctx->target);
  return backup;
}

protocol::Result<ast::ShowBackups> Builder::BuildShowBackups(P::ShowBackupsStatementContext*) {
  return ast::ShowBackups{};
}

}  // namespace kopf::cerebellum::parser
