package io.pgferry.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.common.AtomicFiles;
import io.pgferry.controller.journey.ControllerStore;
import io.pgferry.controller.link.AddressRecords;
import io.pgferry.proto.Hello;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStoreTest extends StoreConformance {
  @TempDir
  Path dir;

  @Override
  ControllerStore store(String name) {
    return new FileStore(dir.resolve(name));
  }

  @Override
  boolean shared() {
    return false;
  }

  /** nodes.json is a cache: one that cannot be read costs only the wait for the agents' Hellos, never the start. */
  @Test
  void aDamagedAddressFileIsReadAsNoneAndAValidOneIsOwnerOnly() throws Exception {
    Path state = dir.resolve("damaged");
    Files.createDirectories(state);
    Files.writeString(state.resolve(AddressStore.FILE_NAME), "{\"version\":1,\"nodes\":{\"a\":");
    try (ControllerStore s = store("damaged")) {
      assertEquals(Map.of(), s.addresses().load());
      s.addresses().save(Map.of("a", new AddressRecords.KnownNode(Hello.newBuilder().setNodeId("a").setHost("h").setPgPort(1).build(), "")));
      assertEquals(AtomicFiles.OWNER_ONLY, Files.getPosixFilePermissions(state.resolve(AddressStore.FILE_NAME)));
      assertEquals("h", s.addresses().load().get("a").hello().getHost());
    }
  }
}
