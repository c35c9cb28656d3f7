package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.security.auth.module.UnixSystem;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** A tmpfs that cannot be mounted fails the full-disk tests as root and skips them elsewhere. */
class SmallTmpfsTest {
  @TempDir
  Path dir;

  @Test
  void asRootAMountThatFailsFailsTheTest() {
    assumeTrue(new UnixSystem().getUid() == 0, "runs as root only");
    assertThrows(AssertionFailedError.class, () -> SmallTmpfs.mount(dir.resolve("disk"), "no-such-size"));
  }

  @Test
  void elsewhereTheTestIsSkipped() {
    assertThrows(TestAbortedException.class, () -> SmallTmpfs.notMounted(false, "mount: only root can do that"));
    assertThrows(AssertionFailedError.class, () -> SmallTmpfs.notMounted(true, "mount: only root can do that"));
  }
}
