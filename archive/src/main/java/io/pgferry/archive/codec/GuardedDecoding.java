package io.pgferry.archive.codec;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Wraps a library decoder so that its complaints about the data become {@link CorruptDataException}, while I/O
 * errors of the source (a broken download) stay what they are: those may be retried, corrupt data must not be.
 * Libraries report both as IOException (or even RuntimeException); we tell them apart by remembering every
 * exception the source itself threw.
 */
final class GuardedDecoding {
  private GuardedDecoding() {}

  @FunctionalInterface
  interface Decoder {
    InputStream open(InputStream source) throws IOException;
  }

  static InputStream open(String codec, InputStream compressed, Decoder decoder) throws IOException {
    TrackedSource source = new TrackedSource(compressed);
    try {
      return new Guarded(codec, source, decoder.open(source));
    } catch (IOException | RuntimeException e) {
      throw source.classify(codec, e);
    }
  }

  /** The compressed input, remembering the exceptions it threw. */
  private static final class TrackedSource extends FilterInputStream {
    private final Set<Throwable> thrown = Collections.newSetFromMap(new IdentityHashMap<>());

    TrackedSource(InputStream in) {
      super(in);
    }

    private IOException seen(IOException e) {
      synchronized (thrown) {
        thrown.add(e);
      }
      return e;
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException e) {
        throw seen(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException e) {
        throw seen(e);
      }
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return super.skip(n);
      } catch (IOException e) {
        throw seen(e);
      }
    }

    @Override
    public int available() throws IOException {
      try {
        return super.available();
      } catch (IOException e) {
        throw seen(e);
      }
    }

    private boolean fromSource(Throwable e) {
      synchronized (thrown) {
        for (Throwable t = e; t != null; t = t.getCause()) {
          if (thrown.contains(t)) {
            return true;
          }
        }
      }
      return false;
    }

    IOException classify(String codec, Exception e) {
      if (e instanceof CorruptDataException c) {
        return c;
      }
      if (e instanceof InterruptedIOException i) {
        return i;
      }
      if (fromSource(e)) {
        return e instanceof IOException io ? io : new IOException(e.getMessage(), e);
      }
      return new CorruptDataException(codec + ": corrupt or truncated data (" + e + ")", e);
    }
  }

  private static final class Guarded extends FilterInputStream {
    private final String codec;
    private final TrackedSource source;

    Guarded(String codec, TrackedSource source, InputStream decoded) {
      super(decoded);
      this.codec = codec;
      this.source = source;
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException | RuntimeException e) {
        throw source.classify(codec, e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException | RuntimeException e) {
        throw source.classify(codec, e);
      }
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return in.skip(n);
      } catch (IOException | RuntimeException e) {
        throw source.classify(codec, e);
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
