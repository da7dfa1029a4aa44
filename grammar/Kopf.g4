grammar Kopf;
parse : EOF ;
