package io.pgferry.controller.store;

import io.pgferry.controller.journey.ControllerStore;
import io.pgferry.testkit.EtcdCluster;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The store conformance suite against a real 3-member etcd. */
class EtcdStoreTest extends StoreConformance {
  private static EtcdCluster etcd;

  @BeforeAll
  static void startEtcd() throws Exception {
    etcd = EtcdCluster.start(3);
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) {
      etcd.close();
    }
  }

  @Override
  ControllerStore store(String name) {
    return new EtcdStore(new EtcdClient(etcd.endpoints(), Duration.ofSeconds(2)), "/pgferry/" + name);
  }

  @Override
  boolean shared() {
    return true;
  }
}
