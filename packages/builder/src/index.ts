export * from './go-quote.js';
export * from './lexer.js';
export * from './parser.js';
