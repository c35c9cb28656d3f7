package io.pgferry.archive.codec;

/** Constants of lzop's file format (lzop 1.04 src/lzop.h, conf.h); all integers big-endian. */
final class Lzop {
  static final byte[] MAGIC = {(byte) 0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A};

  /** Values lzop 1.04 itself writes, so our files look like lzop's own. */
  static final int VERSION = 0x1040;
  static final int LIB_VERSION = 0x20A0;
  static final int VERSION_NEEDED = 0x0940;

  static final int METHOD_LZO1X_1 = 1;
  static final int METHOD_LZO1X_1_15 = 2;
  static final int METHOD_LZO1X_999 = 3;

  static final int F_ADLER32_D = 0x00000001;
  static final int F_ADLER32_C = 0x00000002;
  static final int F_STDIN = 0x00000004;
  static final int F_STDOUT = 0x00000008;
  static final int F_NAME_DEFAULT = 0x00000010;
  static final int F_DOSISH = 0x00000020;
  static final int F_H_EXTRA_FIELD = 0x00000040;
  static final int F_H_GMTDIFF = 0x00000080;
  static final int F_CRC32_D = 0x00000100;
  static final int F_CRC32_C = 0x00000200;
  static final int F_MULTIPART = 0x00000400;
  static final int F_H_FILTER = 0x00000800;
  static final int F_H_CRC32 = 0x00001000;
  static final int F_H_PATH = 0x00002000;
  static final int F_OS_UNIX = 0x03000000;
  static final int F_MASK = 0x00003FFF;

  /** What {@code lzop -c} writes for data from stdin: Adler-32 of each uncompressed block. */
  static final int WRITE_FLAGS = F_ADLER32_D | F_STDIN | F_STDOUT | F_OS_UNIX;

  /** lzop's default block size. */
  static final int BLOCK_SIZE = 256 * 1024;
  /** lzop refuses blocks larger than this (MAX_BLOCK_SIZE in lzop.h). */
  static final int MAX_BLOCK_SIZE = 64 * 1024 * 1024;

  private Lzop() {}
}
