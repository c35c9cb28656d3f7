package io.pgferry.agent.access;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The name of a cluster's bootstrap superuser (the role initdb made, pg_authid oid 10), read from the catalog file
 * in the data directory (global/1260, pg_authid's heap) without starting the server or logging in: a restored
 * Heroku cluster's roles carry passwords nobody migrating knows, and the agent needs this name before anyone can
 * connect, to map its own OS user to it in pg_ident.conf (docs/security.md, "Access without passwords").
 * <p>
 * The heap layout read here has been stable from PostgreSQL 8.3 to 17: 8 kB pages of line pointers and tuples, each
 * tuple's data at t_hoff. From PostgreSQL 12 the oid is pg_authid's first column (then rolname, a 64-byte name);
 * before 12 the oid sits in the tuple header, just before t_hoff, and rolname is the first column. The file is in the
 * host's byte order (little endian on x86-64 and arm64, which is what this reads). Of the versions of the oid-10 row
 * in the file, the newest is the one whose t_ctid points at itself (an UPDATE points the old version at the new one).
 */
public final class BootstrapSuperuser {
  static final int BOOTSTRAP_SUPERUSER_OID = 10;
  static final String PG_AUTHID_FILE = "global/1260";
  private static final int PAGE = 8192;
  private static final int PAGE_HEADER = 24;
  private static final int NAMEDATALEN = 64;
  private static final int LP_NORMAL = 1;
  /** t_infomask bit of PostgreSQL 11 and older: the tuple header carries an oid. */
  private static final int HEAP_HASOID = 0x0008;

  private BootstrapSuperuser() {}

  /** The bootstrap superuser's name in {@code dataDir}; empty when the data dir holds no readable catalog. */
  public static Optional<String> read(Path dataDir) throws IOException {
    Path file = dataDir.resolve(PG_AUTHID_FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    int major;
    try {
      major = Integer.parseInt(Files.readString(dataDir.resolve("PG_VERSION")).trim());
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    return find(Files.readAllBytes(file), major);
  }

  /** The name in the pg_authid heap {@code heap} of a PostgreSQL {@code major} cluster. */
  static Optional<String> find(byte[] heap, int major) {
    Set<String> latest = new LinkedHashSet<>();
    Set<String> any = new LinkedHashSet<>();
    ByteBuffer b = ByteBuffer.wrap(heap).order(ByteOrder.LITTLE_ENDIAN);
    for (int page = 0; page + PAGE <= heap.length; page += PAGE) {
      int lower = Short.toUnsignedInt(b.getShort(page + 12));
      if (lower < PAGE_HEADER || lower > PAGE) {
        continue; // a new (all-zero) or foreign page
      }
      for (int item = 0; item < (lower - PAGE_HEADER) / 4; item++) {
        int lp = b.getInt(page + PAGE_HEADER + item * 4);
        int off = lp & 0x7fff;
        int flags = (lp >>> 15) & 0x3;
        int len = lp >>> 17;
        if (flags != LP_NORMAL || off < PAGE_HEADER || off + len > PAGE) {
          continue;
        }
        int t = page + off;
        int hoff = Byte.toUnsignedInt(b.get(t + 22));
        int infomask = Short.toUnsignedInt(b.getShort(t + 20));
        int oid;
        int nameAt;
        if (major >= 12) {
          oid = b.getInt(t + hoff);
          nameAt = t + hoff + 4;
        } else {
          if ((infomask & HEAP_HASOID) == 0) {
            continue;
          }
          oid = b.getInt(t + hoff - 4);
          nameAt = t + hoff;
        }
        if (oid != BOOTSTRAP_SUPERUSER_OID || nameAt + NAMEDATALEN > t + len) {
          continue;
        }
        String name = cString(heap, nameAt, NAMEDATALEN);
        any.add(name);
        long ctidBlock = (long) Short.toUnsignedInt(b.getShort(t + 12)) << 16 | Short.toUnsignedInt(b.getShort(t + 14));
        int ctidItem = Short.toUnsignedInt(b.getShort(t + 16));
        if (ctidBlock == page / PAGE && ctidItem == item + 1) {
          latest.add(name);
        }
      }
    }
    Set<String> names = latest.isEmpty() ? any : latest;
    return names.size() == 1 ? Optional.of(names.iterator().next()) : Optional.empty();
  }

  private static String cString(byte[] bytes, int from, int max) {
    int end = from;
    while (end < from + max && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, from, end - from, StandardCharsets.UTF_8);
  }
}
