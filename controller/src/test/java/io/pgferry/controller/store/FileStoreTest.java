package io.pgferry.controller.store;

import io.pgferry.controller.journey.ControllerStore;
import java.nio.file.Path;
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
}
