package io.pgferry.archive.storage;

/** Opens the backend for a location. The caller closes the store. */
public final class ObjectStores {
  private ObjectStores() {}

  public static ObjectStore open(ArchiveLocation location) {
    return switch (location.kind()) {
      case FILE -> new DirStore(location.directory());
      case S3 -> new S3Store(location.bucket(), location.prefix(), location.s3());
    };
  }
}
