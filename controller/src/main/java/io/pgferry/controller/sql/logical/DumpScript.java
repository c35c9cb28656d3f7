package io.pgferry.controller.sql.logical;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A plain-text pg_dump script cut into its entries (each starts at pg_dump's "-- Name: ...; Type: ...; Schema: ..."
 * header), so the entries can run one by one on several connections. The SET lines between entries
 * (default_tablespace, default_table_access_method, ...) change the session for the entries after them: each entry
 * keeps the settings in force where it stood. psql meta-commands (\restrict) are dropped.
 */
public record DumpScript(String preamble, List<Entry> entries) {
  private static final Pattern HEADER = Pattern.compile("^-- Name: (.*); Type: ([^;]+); Schema: ([^;]+); Owner: (.*)$");

  /**
   * @param name pg_dump's tag: "table constraint" for constraints and triggers, the object's name otherwise
   * @param type CONSTRAINT, FK CONSTRAINT, INDEX, INDEX ATTACH, TRIGGER, COMMENT, POLICY, ...
   * @param schema "-" when the object has none
   * @param settings the SET statements in force for this entry (beyond the preamble's)
   */
  public record Entry(String name, String type, String schema, String settings, String sql) {
    /** The table's primary key, or an index or constraint that is its replica identity: apply needs it. */
    public boolean identityKey() {
      return (type.equals("CONSTRAINT") && sql.contains(" PRIMARY KEY ")) || sql.contains(" REPLICA IDENTITY USING INDEX ");
    }

    /** Index and constraint builds that can run side by side. */
    public boolean indexBuild() {
      return type.equals("INDEX") || type.equals("CONSTRAINT");
    }

    public boolean foreignKey() {
      return type.equals("FK CONSTRAINT");
    }

    public String label() {
      return type + " " + (schema.equals("-") ? "" : schema + ".") + name;
    }
  }

  public static DumpScript parse(String text) {
    StringBuilder preamble = new StringBuilder();
    List<Entry> entries = new ArrayList<>();
    Map<String, String> settings = new LinkedHashMap<>();
    String[] header = null;
    String headerSettings = "";
    StringBuilder body = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      Matcher m = HEADER.matcher(line);
      if (m.matches()) {
        if (header != null) {
          entries.add(new Entry(header[0], header[1], header[2], headerSettings, body.toString().strip()));
        }
        header = new String[] {m.group(1), m.group(2), m.group(3)};
        headerSettings = String.join("\n", settings.values());
        body.setLength(0);
      } else if (line.startsWith("\\") || line.startsWith("--")) {
        continue;
      } else if (header == null) {
        preamble.append(line).append('\n');
      } else if (line.startsWith("SET ")) {
        settings.put(line.substring(4, Math.max(4, line.indexOf('='))).strip(), line);
      } else {
        body.append(line).append('\n');
      }
    }
    if (header != null) {
      entries.add(new Entry(header[0], header[1], header[2], headerSettings, body.toString().strip()));
    }
    return new DumpScript(preamble.toString().strip(), List.copyOf(entries));
  }

  /**
   * Without pgferry's own objects: its schema (DDL capture's tables, made on T by DdlReplay) and its event triggers on
   * A, which record the app's DDL there and must never fire on T.
   */
  public DumpScript withoutPgferryObjects() {
    return new DumpScript(preamble, entries.stream()
        .filter(e -> !e.schema().equals(PGFERRY_SCHEMA) && !(e.type().equals("EVENT TRIGGER") && e.name().startsWith("pgferry_")))
        .filter(e -> !(e.type().equals("COMMENT") && e.name().startsWith("EVENT TRIGGER pgferry_")))
        .toList());
  }

  static final String PGFERRY_SCHEMA = "pgferry";

  /**
   * What T needs before the copy: the default privileges (pg_dump puts ALTER DEFAULT PRIVILEGES in post-data; the
   * app's next CREATE on T must find them whenever it comes) and, with {@code identityKeys}, the identity keys.
   */
  public List<Entry> beforeCopy(boolean identityKeys) {
    return entries.stream().filter(e -> (identityKeys && e.identityKey()) || e.type().equals("DEFAULT ACL")).toList();
  }

  /** The entries as one script (preamble first), for psql. */
  public static String script(String preamble, List<Entry> entries) {
    StringBuilder out = new StringBuilder(preamble).append("\n\n");
    for (Entry e : entries) {
      out.append("-- ").append(e.label()).append('\n');
      if (!e.settings().isEmpty()) {
        out.append(e.settings()).append('\n');
      }
      out.append(e.sql()).append("\n\n");
    }
    return out.toString();
  }
}
