package io.pgferry.controller.certs;

import io.pgferry.common.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Reads PEM certificates and private keys (PKCS#8 as `pgferry certs init` writes them, or the older EC/RSA forms). */
public final class PemFiles {
  private PemFiles() {}

  public static X509Certificate certificate(Path pem) {
    List<X509Certificate> chain = certificates(pem);
    return chain.get(0);
  }

  /** Every certificate in the file, in order; at least one. */
  public static List<X509Certificate> certificates(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      List<X509Certificate> out = new ArrayList<>();
      CertificateFactory.getInstance("X.509").generateCertificates(in).forEach(c -> out.add((X509Certificate) c));
      if (out.isEmpty()) {
        throw new UsageException(pem + " holds no PEM certificate");
      }
      return out;
    } catch (IOException e) {
      throw new UsageException("cannot read " + pem + ": " + e.getMessage());
    } catch (CertificateException e) {
      throw new UsageException(pem + " is not a PEM certificate: " + e.getMessage());
    }
  }

  public static PrivateKey privateKey(Path pem) {
    try (Reader reader = Files.newBufferedReader(pem); PEMParser parser = new PEMParser(reader)) {
      Object object = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (object instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (object instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      throw new UsageException(pem + " holds no unencrypted PEM private key");
    } catch (IOException e) {
      throw new UsageException("cannot read the private key " + pem + ": " + e.getMessage());
    }
  }
}
