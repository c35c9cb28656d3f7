package io.pgferry.archive.format;

/** Which tool's layout a backup follows; pgferry writes WAL-E and reads both. */
public enum ArchiveFormat {
  WALE, WALG
}
