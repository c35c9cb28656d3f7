package io.pgferry.agent.archive.backup;

import io.pgferry.archive.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Streams what a producer writes into {@link ObjectStore#put} without staging it on disk. If the producer fails,
 * the store's reader gets an IOException (never a clean EOF), so a half-written object is never committed.
 */
public final class StreamUpload {
  private StreamUpload() {}

  @FunctionalInterface
  public interface Producer {
    void writeTo(OutputStream out) throws IOException;
  }

  public static void put(ObjectStore store, String key, Producer producer) throws IOException {
    Pipe pipe = new Pipe();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try (OutputStream out = pipe.output()) {
        producer.writeTo(out);
      } catch (Throwable t) {
        failure.set(t);
        pipe.fail(t);
      }
    }, "upload-" + key.substring(key.lastIndexOf('/') + 1));
    writer.setDaemon(true);
    writer.start();
    try {
      store.put(key, pipe.input(), -1);
    } finally {
      pipe.abandon();
      try {
        writer.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted uploading " + key);
      }
    }
    Throwable t = failure.get();
    if (t instanceof IOException io) {
      throw io;
    }
    if (t != null) {
      throw new IOException("writing " + key + ": " + t, t);
    }
  }

  /** A bounded chunk queue between one writer and one reader thread. */
  static final class Pipe {
    private static final byte[] EOF = new byte[0];
    private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(16);
    private volatile Throwable error;
    private volatile boolean abandoned;

    void fail(Throwable t) {
      error = t;
      chunks.clear();
      chunks.offer(EOF);
    }

    void abandon() {
      abandoned = true;
      chunks.clear();
    }

    OutputStream output() {
      return new OutputStream() {
        private byte[] buf = new byte[256 * 1024];
        private int len;

        @Override
        public void write(int b) throws IOException {
          if (len == buf.length) {
            flushChunk();
          }
          buf[len++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int n) throws IOException {
          while (n > 0) {
            if (len == buf.length) {
              flushChunk();
            }
            int c = Math.min(n, buf.length - len);
            System.arraycopy(b, off, buf, len, c);
            len += c;
            off += c;
            n -= c;
          }
        }

        private void flushChunk() throws IOException {
          if (len > 0) {
            enqueue(Arrays.copyOf(buf, len));
            len = 0;
          }
        }

        @Override
        public void close() throws IOException {
          flushChunk();
          enqueue(EOF);
        }
      };
    }

    private void enqueue(byte[] chunk) throws IOException {
      try {
        while (!chunks.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
          if (abandoned) {
            throw new IOException("upload ended before all data was written");
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException();
      }
    }

    InputStream input() {
      return new InputStream() {
        private byte[] cur = new byte[0];
        private int pos;
        private boolean done;

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          int n = read(one, 0, 1);
          return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int n) throws IOException {
          while (pos == cur.length) {
            if (done) {
              return -1;
            }
            try {
              cur = chunks.take();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new InterruptedIOException();
            }
            pos = 0;
            if (error != null) {
              throw new IOException("producer failed: " + error, error);
            }
            if (cur == EOF) {
              done = true;
              return -1;
            }
          }
          int c = Math.min(n, cur.length - pos);
          System.arraycopy(cur, pos, b, off, c);
          pos += c;
          return c;
        }
      };
    }
  }
}
