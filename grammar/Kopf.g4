// The SQL dialect kopf understands. See grammar/README.md.
//
// cerebellum/parser/*.cc turn the parse tree into kopf's AST
// (cerebellum/ast/ast.h); nothing else sees the generated code. Rules carry
// labels (lhs=, op=, ...) so the builders reach children through plain
// fields instead of searching child lists.
//
// Keywords are case-insensitive (one fragment per letter). Type names such as
// INTEGER or VARCHAR are not keywords: typeName takes plain identifiers and
// the builder maps them, so a column may be called "text" or "date".
// Some keywords are non-reserved (see `identifier`) and may name things.
//
// Tokens named UNTERMINATED_* and ERROR_CHAR never appear in a valid
// statement: they let the lexer accept every input, and the parser driver
// turns them into precise error messages before parsing.
grammar Kopf;

// ---- Statements -----------------------------------------------------------

parse
  : statement SEMI? EOF
  ;

statement
  : createTableStatement
  | createIndexStatement
  | dropTableStatement
  | dropIndexStatement
  | insertStatement
  | selectStatement
  | updateStatement
  | deleteStatement
  | showTablesStatement
  | showIndexesStatement
  | showPartitionsStatement
  | describeStatement
  | explainStatement
  | copyStatement
  | compactTableStatement
  | backupStatement
  | showBackupsStatement
  ;

// The grammar lets EXPLAIN take any statement; the builder refuses an
// EXPLAIN inside an EXPLAIN with a message that says so.
explainStatement
  : K_EXPLAIN target=statement
  ;

createTableStatement
  : K_CREATE K_TABLE (K_IF K_NOT K_EXISTS)? table=identifier
    LPAREN elements+=tableElement (COMMA elements+=tableElement)* RPAREN
    partitionBy?
  ;

// PARTITION BY HASH (c) PARTITIONS n
// PARTITION BY RANGE (c) (PARTITION p0 VALUES LESS THAN (10), ..., PARTITION pn VALUES LESS THAN (MAXVALUE))
partitionBy
  : K_PARTITION K_BY K_HASH LPAREN column=identifier RPAREN K_PARTITIONS count=INTEGER_LITERAL  # hashPartitioning
  | K_PARTITION K_BY K_RANGE LPAREN column=identifier RPAREN
    LPAREN parts+=rangePartition (COMMA parts+=rangePartition)* RPAREN  # rangePartitioning
  ;

rangePartition
  : K_PARTITION name=identifier K_VALUES K_LESS K_THAN LPAREN (K_MAXVALUE | bound=arith) RPAREN
  ;

tableElement
  : columnDef
  | tableConstraint
  ;

columnDef
  : name=identifier typeName constraints+=columnConstraint*
  ;

tableConstraint
  : K_PRIMARY K_KEY LPAREN columns+=identifier (COMMA columns+=identifier)* RPAREN  # tablePrimaryKey
  | K_UNIQUE LPAREN columns+=identifier (COMMA columns+=identifier)* RPAREN  # tableUnique
  ;

columnConstraint
  : K_PRIMARY K_KEY          # primaryKeyConstraint
  | K_NOT K_NULL             # notNullConstraint
  | K_NULL                   # nullConstraint
  | K_DEFAULT value=arith    # defaultConstraint
  | K_UNIQUE                 # uniqueConstraint
  ;

// INTEGER, DOUBLE PRECISION, VARCHAR(20), DECIMAL(10, 2), ...
typeName
  : words+=IDENTIFIER+ (LPAREN args+=INTEGER_LITERAL (COMMA args+=INTEGER_LITERAL)? RPAREN)?
  ;

dropTableStatement
  : K_DROP K_TABLE (K_IF K_EXISTS)? table=identifier
  ;

createIndexStatement
  : K_CREATE unique=K_UNIQUE? K_INDEX (K_IF K_NOT K_EXISTS)? name=identifier
    K_ON table=identifier LPAREN columns+=indexColumn (COMMA columns+=indexColumn)* RPAREN
  ;

indexColumn
  : column=identifier (K_ASC | desc=K_DESC)?
  ;

dropIndexStatement
  : K_DROP K_INDEX (K_IF K_EXISTS)? name=identifier
  ;

insertStatement
  : K_INSERT K_INTO table=identifier (LPAREN columns+=identifier (COMMA columns+=identifier)* RPAREN)?
    (K_VALUES rows+=valuesRow (COMMA rows+=valuesRow)* | query=selectStatement)
  ;

valuesRow
  : LPAREN values+=expr (COMMA values+=expr)* RPAREN
  ;

// A compound SELECT: cores joined by set operators, all of equal
// precedence and applied left to right (as in SQLite), then the ORDER BY and
// LIMIT of the whole result. A parenthesised SELECT is not a compound operand.
selectStatement
  : cores+=selectCore (ops+=compoundOperator cores+=selectCore)*
    (K_ORDER K_BY orders+=orderItem (COMMA orders+=orderItem)*)?
    (K_LIMIT limit=expr (K_OFFSET offset=expr)? | K_OFFSET offset=expr (K_LIMIT limit=expr)?)?
  ;

compoundOperator
  : K_UNION all=K_ALL?
  | K_INTERSECT
  | K_EXCEPT
  ;

selectCore
  : K_SELECT (distinct=K_DISTINCT | K_ALL)? items+=selectItem (COMMA items+=selectItem)*
    (K_FROM from=fromClause)?
    (K_WHERE where=expr)?
    (K_GROUP K_BY groupBy+=expr (COMMA groupBy+=expr)*)?
    (K_HAVING having=expr)?
  ;

selectItem
  : STAR                                   # starItem
  | table=identifier DOT STAR              # tableStarItem
  | value=expr (K_AS? alias=identifier)?   # exprItem
  ;

// FROM a, b JOIN c ON .., d LEFT JOIN e ON ..: a flat list, joined left to
// right. NATURAL, USING and subqueries in FROM parse so that the builder can
// name them in a kNotSupported error.
fromClause
  : first=tableRef (joins+=joinClause)*
  ;

joinClause
  : COMMA table=tableRef                                                 # commaJoin
  | natural=K_NATURAL? (K_INNER | left=K_LEFT K_OUTER? | cross=K_CROSS)? K_JOIN table=tableRef
      (K_ON on=expr | usingKw=K_USING LPAREN columns+=identifier (COMMA columns+=identifier)* RPAREN)?
                                                                         # explicitJoin
  ;

// SQLite's INDEXED BY / NOT INDEXED are planner hints: parsed and ignored.
// A parenthesised join, FROM (a CROSS JOIN b), is flattened by the builder.
tableRef
  : table=identifier (K_AS? alias=identifier)? (K_INDEXED K_BY index=identifier | K_NOT K_INDEXED)?
                                                                         # namedTable
  | LPAREN query=selectStatement RPAREN (K_AS? alias=identifier)?        # subqueryTable
  | LPAREN inner=fromClause RPAREN                                       # joinGroupTable
  ;

orderItem
  : value=expr (K_ASC | desc=K_DESC)? (K_NULLS (first=K_FIRST | K_LAST))?
  ;

updateStatement
  : K_UPDATE table=identifier K_SET assignments+=assignment (COMMA assignments+=assignment)* (K_WHERE where=expr)?
  ;

assignment
  : column=identifier EQ value=expr
  ;

deleteStatement
  : K_DELETE K_FROM table=identifier (K_WHERE where=expr)?
  ;

showTablesStatement
  : K_SHOW K_TABLES
  ;

// SHOW INDEXES [FROM t]: every access path of every table, or of one.
showIndexesStatement
  : K_SHOW K_INDEXES (K_FROM table=identifier)?
  ;

// SHOW PARTITIONS [FROM t]: the partitions of every partitioned table, or of one.
showPartitionsStatement
  : K_SHOW K_PARTITIONS (K_FROM table=identifier)?
  ;

describeStatement
  : K_DESCRIBE table=identifier
  ;

// COPY t [(a, b)] FROM 'file' | STDIN [WITH (option, ...)]
// COPY t [(a, b)] TO 'file' | STDOUT [WITH (...)],
// COPY (SELECT ...) TO 'file' | STDOUT [WITH (...)]
// Options follow PostgreSQL's form: a name and an optional value. Which
// names exist and which values they take is the builder's business, so a
// misspelt option gets a precise message instead of a parse error. NULL is
// a keyword, hence its own alternative. STDIN and STDOUT are plain
// identifiers the builder checks, so they stay usable as names elsewhere.
copyStatement
  : K_COPY (table=identifier (LPAREN columns+=identifier (COMMA columns+=identifier)* RPAREN)?
      | LPAREN query=selectStatement RPAREN)
    (from=K_FROM | K_TO) (path=STRING_LITERAL | client=IDENTIFIER)
    (K_WITH? LPAREN options+=copyOption (COMMA options+=copyOption)* RPAREN)?
  ;

copyOption
  : (name=identifier | nullName=K_NULL)
    (value=(STRING_LITERAL | INTEGER_LITERAL | K_TRUE | K_FALSE | K_ON | IDENTIFIER))?
  ;

// COMPACT TABLE t: rewrite the table's stored history as a snapshot of its
// live rows (cerebrum/README.md, "Compaction").
compactTableStatement
  : K_COMPACT K_TABLE table=identifier
  ;

// BACKUP TO 'folder': a copy of every table at one commit number, written
// on the server under its backup directory (cerebrum/backup.h).
backupStatement
  : K_BACKUP K_TO target=STRING_LITERAL
  ;

showBackupsStatement
  : K_SHOW K_BACKUPS
  ;

// ---- Expressions ----------------------------------------------------------
//
// Precedence, lowest first: OR; AND; NOT; IS [NOT] NULL / ISNULL / NOTNULL /
// NOT NULL; comparison; [NOT] LIKE, [NOT] IN, [NOT] BETWEEN; then `arith`:
// ||; << >> & |; + -; * / %; unary + - ~. ANTLR gives earlier alternatives of
// a left-recursive rule higher precedence, and binary operators associate to
// the left. The bitwise operators and BLOB literals (x'0A') parse only so
// that the builder can answer kNotSupported at them.
//
// Subqueries: (SELECT ..) as a value, EXISTS (SELECT ..), x IN (SELECT ..),
// and SQLite's x IN table. A parenthesis followed by SELECT is a subquery;
// SELECT is reserved, so one token of lookahead tells it from (expr).
//
// BETWEEN's bounds and LIKE's pattern are `arith`, as in PostgreSQL, so the
// AND of `x BETWEEN 1 AND 2 AND y` is never taken as part of a bound.

expr
  : value=arith                                                         # arithExpr
  | operand=expr negated=K_NOT? K_BETWEEN low=arith K_AND high=arith    # betweenExpr
  | operand=expr negated=K_NOT? K_IN LPAREN (items+=expr (COMMA items+=expr)*)? RPAREN  # inExpr
  | operand=expr negated=K_NOT? K_IN LPAREN query=selectStatement RPAREN  # inSubqueryExpr
  | operand=expr negated=K_NOT? K_IN table=identifier                   # inTableExpr
  | operand=expr negated=K_NOT? K_LIKE pattern=arith                    # likeExpr
  | lhs=expr op=(EQ | EQEQ | NEQ | BANGEQ | LT | LE | GT | GE) rhs=expr # compareExpr
  | operand=expr (K_IS negated=K_NOT? K_NULL | K_ISNULL | notnull=K_NOTNULL | notnull=K_NOT K_NULL)
                                                                        # isNullExpr
  | K_NOT operand=expr                                                  # notExpr
  | lhs=expr K_AND rhs=expr                                             # andExpr
  | lhs=expr K_OR rhs=expr                                              # orExpr
  ;

arith
  : op=(MINUS | PLUS | TILDE) operand=arith                             # unaryArith
  | lhs=arith op=(STAR | SLASH | PERCENT) rhs=arith                     # multiplyArith
  | lhs=arith op=(PLUS | MINUS) rhs=arith                               # addArith
  | lhs=arith op=(SHL | SHR | AMP | PIPE) rhs=arith                     # bitwiseArith
  | lhs=arith CONCAT rhs=arith                                          # concatArith
  | value=(INTEGER_LITERAL | DECIMAL_LITERAL | STRING_LITERAL | BLOB_LITERAL | K_TRUE | K_FALSE
      | K_NULL)
                                                                        # literalArith
  | value=PARAMETER                                                     # parameterArith
  | K_CAST LPAREN operand=expr K_AS typeName RPAREN                     # castArith
  | K_CASE operand=expr? whens+=caseWhen+ (K_ELSE otherwise=expr)? K_END       # caseArith
  | name=identifier LPAREN
      (star=STAR | (distinct=K_DISTINCT | K_ALL)? args+=expr (COMMA args+=expr)*)? RPAREN  # callArith
  | first=identifier (DOT second=identifier)?                           # columnArith
  | LPAREN query=selectStatement RPAREN                                 # subqueryArith
  | K_EXISTS LPAREN query=selectStatement RPAREN                        # existsArith
  | LPAREN inner=expr RPAREN                                            # parenArith
  ;

caseWhen
  : K_WHEN condition=expr K_THEN result=expr
  ;

// Non-reserved keywords may be used as names without quotes.
identifier
  : IDENTIFIER
  | QUOTED_IDENTIFIER
  | K_DESCRIBE | K_EXPLAIN | K_FIRST | K_IF | K_INDEX | K_INDEXED | K_INDEXES | K_KEY | K_LAST | K_NULLS
  | K_SHOW | K_TABLES | K_COPY
  | K_COMPACT | K_BACKUP | K_BACKUPS | K_TO
  | K_PARTITION | K_PARTITIONS | K_HASH | K_RANGE | K_LESS | K_THAN | K_MAXVALUE
  ;

// ---- Lexer ----------------------------------------------------------------
// Keywords come before IDENTIFIER: on a tie the earlier rule wins.

K_ALL : A L L ;
K_AND : A N D ;
K_AS : A S ;
K_ASC : A S C ;
K_BACKUP : B A C K U P ;
K_BACKUPS : B A C K U P S ;
K_BETWEEN : B E T W E E N ;
K_BY : B Y ;
K_CASE : C A S E ;
K_CAST : C A S T ;
K_COPY : C O P Y ;
K_CREATE : C R E A T E ;
K_CROSS : C R O S S ;
K_DEFAULT : D E F A U L T ;
K_DELETE : D E L E T E ;
K_DESC : D E S C ;
K_DESCRIBE : D E S C R I B E ;
K_COMPACT : C O M P A C T ;
K_DISTINCT : D I S T I N C T ;
K_DROP : D R O P ;
K_ELSE : E L S E ;
K_END : E N D ;
K_EXCEPT : E X C E P T ;
K_EXISTS : E X I S T S ;
K_EXPLAIN : E X P L A I N ;
K_FALSE : F A L S E ;
K_FIRST : F I R S T ;
K_FROM : F R O M ;
K_GROUP : G R O U P ;
K_HAVING : H A V I N G ;
K_IF : I F ;
K_IN : I N ;
K_HASH : H A S H ;
K_LESS : L E S S ;
K_MAXVALUE : M A X V A L U E ;
K_PARTITION : P A R T I T I O N ;
K_PARTITIONS : P A R T I T I O N S ;
K_RANGE : R A N G E ;
K_THAN : T H A N ;
K_INDEX : I N D E X ;
K_INDEXED : I N D E X E D ;
K_INDEXES : I N D E X E S ;
K_INNER : I N N E R ;
K_INSERT : I N S E R T ;
K_INTERSECT : I N T E R S E C T ;
K_INTO : I N T O ;
K_IS : I S ;
K_ISNULL : I S N U L L ;
K_JOIN : J O I N ;
K_KEY : K E Y ;
K_LAST : L A S T ;
K_LEFT : L E F T ;
K_LIKE : L I K E ;
K_LIMIT : L I M I T ;
K_NATURAL : N A T U R A L ;
K_NOT : N O T ;
K_NOTNULL : N O T N U L L ;
K_NULL : N U L L ;
K_NULLS : N U L L S ;
K_OFFSET : O F F S E T ;
K_ON : O N ;
K_OR : O R ;
K_ORDER : O R D E R ;
K_OUTER : O U T E R ;
K_PRIMARY : P R I M A R Y ;
K_SELECT : S E L E C T ;
K_SET : S E T ;
K_SHOW : S H O W ;
K_TABLE : T A B L E ;
K_TABLES : T A B L E S ;
K_THEN : T H E N ;
K_TO : T O ;
K_TRUE : T R U E ;
K_UNION : U N I O N ;
K_UNIQUE : U N I Q U E ;
K_UPDATE : U P D A T E ;
K_USING : U S I N G ;
K_VALUES : V A L U E S ;
K_WHEN : W H E N ;
K_WHERE : W H E R E ;
K_WITH : W I T H ;

// x'0A1B' (SQLite); longer than the IDENTIFIER x, so it wins.
BLOB_LITERAL : [xX] '\'' (~'\'')* '\'' ;
IDENTIFIER : [A-Za-z_] [A-Za-z0-9_]* ;
QUOTED_IDENTIFIER : '"' (~'"' | '""')* '"' ;
STRING_LITERAL : '\'' (~'\'' | '\'\'')* '\'' ;

INTEGER_LITERAL : DIGIT+ ;
// A parameter marker of a prepared statement: $1, $2, ... (PostgreSQL's).
PARAMETER : '$' DIGIT+ ;
DECIMAL_LITERAL
  : DIGIT+ '.' DIGIT* EXPONENT?
  | '.' DIGIT+ EXPONENT?
  | DIGIT+ EXPONENT
  ;

EQ : '=' ;
EQEQ : '==' ;
NEQ : '<>' ;
BANGEQ : '!=' ;
LT : '<' ;
LE : '<=' ;
GT : '>' ;
GE : '>=' ;
CONCAT : '||' ;
SHL : '<<' ;
SHR : '>>' ;
AMP : '&' ;
PIPE : '|' ;
TILDE : '~' ;
PLUS : '+' ;
MINUS : '-' ;
STAR : '*' ;
SLASH : '/' ;
PERCENT : '%' ;
LPAREN : '(' ;
RPAREN : ')' ;
COMMA : ',' ;
DOT : '.' ;
SEMI : ';' ;

LINE_COMMENT : '--' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
WHITESPACE : [ \t\r\n\f\u000B]+ -> skip ;

// Error tokens: only ever reported, never parsed. An unterminated form runs
// to the end of the input, so it cannot win over a terminated one.
UNTERMINATED_STRING : '\'' (~'\'' | '\'\'')* EOF ;
UNTERMINATED_QUOTED_IDENTIFIER : '"' (~'"' | '""')* EOF ;
UNTERMINATED_BLOCK_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF ;
ERROR_CHAR : . ;

fragment DIGIT : [0-9] ;
fragment EXPONENT : [eE] [+-]? DIGIT+ ;

fragment A : [aA] ;
fragment B : [bB] ;
fragment C : [cC] ;
fragment D : [dD] ;
fragment E : [eE] ;
fragment F : [fF] ;
fragment G : [gG] ;
fragment H : [hH] ;
fragment I : [iI] ;
fragment J : [jJ] ;
fragment K : [kK] ;
fragment L : [lL] ;
fragment M : [mM] ;
fragment N : [nN] ;
fragment O : [oO] ;
fragment P : [pP] ;
fragment Q : [qQ] ;
fragment R : [rR] ;
fragment S : [sS] ;
fragment T : [tT] ;
fragment U : [uU] ;
fragment V : [vV] ;
fragment W : [wW] ;
fragment X : [xX] ;
fragment Y : [yY] ;
fragment Z : [zZ] ;
