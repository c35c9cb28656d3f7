package io.pgferry.agent.archive.backup;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waits for a backup's partition tasks (fetch or push): the first failure cancels the rest and is rethrown. */
final class PartitionTasks {
  private PartitionTasks() {}

  static void awaitAll(List<Future<?>> futures) throws IOException {
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (ExecutionException e) {
        futures.forEach(x -> x.cancel(true));
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().toString(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        futures.forEach(x -> x.cancel(true));
        throw new InterruptedIOException("interrupted");
      }
    }
  }
}
