package io.pgferry.controller.sql.verify;

/** counts: exact row counts per table. full: counts plus checksums per primary-key chunk. */
public enum VerifyMode { COUNTS, FULL }
