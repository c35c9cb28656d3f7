package io.pgferry.archive.storage;

/** The conformance suite against the in-memory store, so the contract is checked without a disk or a server. */
class MemoryStoreTest extends ObjectStoreConformance {
  private MemoryStore store;

  @Override
  ObjectStore store() {
    if (store == null) {
      store = new MemoryStore();
    }
    return store;
  }
}
