package io.pgferry.controller.store;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.pgferry.common.AtomicFiles;
import io.pgferry.controller.link.AddressRecords;
import io.pgferry.controller.link.AddressRecords.KnownNode;
import io.pgferry.proto.Hello;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * The embedded store's {@link AddressRecords}: {@code state_dir/nodes.json} (0600, written atomically). A file that
 * cannot be read is reported and ignored (the controller then waits for the agents' Hellos, as before it was kept);
 * the etcd store keeps the same JSON under one key.
 */
public final class AddressStore implements AddressRecords {
  public static final String FILE_NAME = "nodes.json";
  private static final Logger LOG = Logger.getLogger(AddressStore.class.getName());
  private static final int VERSION = 1;

  private final Path file;

  public AddressStore(Path stateDir) {
    this.file = stateDir.resolve(FILE_NAME);
  }

  @Override
  public Map<String, KnownNode> load() {
    if (!Files.exists(file)) {
      return Map.of();
    }
    try {
      return decode(Files.readString(file), file.toString());
    } catch (IOException e) {
      LOG.warning("cannot read " + file + " (" + e.getMessage() + "); a resumed journey waits for the agents' Hellos");
      return Map.of();
    }
  }

  @Override
  public void save(Map<String, KnownNode> addresses) {
    try {
      AtomicFiles.write(file, encode(addresses).getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** The addresses of a nodes.json text; one that is not valid is reported and read as none. */
  static Map<String, KnownNode> decode(String text, String where) {
    Map<String, KnownNode> addresses = new TreeMap<>();
    try {
      JsonObject root = new JsonObject(text);
      if (root.getInteger("version", 0) != VERSION) {
        LOG.warning(where + ": unsupported version " + root.getValue("version") + "; ignored");
        return Map.of();
      }
      JsonObject nodes = root.getJsonObject("nodes", new JsonObject());
      for (String nodeId : nodes.fieldNames()) {
        JsonObject node = nodes.getJsonObject(nodeId);
        Hello.Builder hello = Hello.newBuilder();
        JsonFormat.parser().ignoringUnknownFields().merge(node.getJsonObject("hello", new JsonObject()).encode(), hello);
        if (nodeId.equals(hello.getNodeId())) {
          addresses.put(nodeId, new KnownNode(hello.build(), node.getString("bootstrap_superuser", "")));
        }
      }
      return addresses;
    } catch (InvalidProtocolBufferException | DecodeException | ClassCastException e) {
      LOG.warning(where + ": not valid (" + e.getMessage() + "); ignored");
      return Map.of();
    }
  }

  static String encode(Map<String, KnownNode> addresses) {
    JsonObject nodes = new JsonObject();
    addresses.forEach((nodeId, known) -> {
      try {
        nodes.put(nodeId, new JsonObject()
            .put("hello", new JsonObject(JsonFormat.printer().preservingProtoFieldNames().print(known.hello())))
            .put("bootstrap_superuser", known.bootstrapSuperuser()));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    });
    return new JsonObject().put("version", VERSION).put("nodes", nodes).encodePrettily() + "\n";
  }
}
