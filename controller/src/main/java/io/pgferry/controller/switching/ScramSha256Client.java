package io.pgferry.controller.switching;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding, one exchange per instance:
 * {@link #clientFirst()}, then {@link #clientFinal(String)} with the server-first message, then
 * {@link #serverVerified(String)} with the server-final message. PostgreSQL takes the user from the startup packet
 * and expects an empty one here. Pure: no I/O.
 */
final class ScramSha256Client {
  /** The server's message does not follow the exchange. */
  static final class ProtocolException extends Exception {
    ProtocolException(String message) {
      super(message);
    }
  }

  private final String password;
  private final String clientFirstBare;
  private final String clientNonce;
  private byte[] saltedPassword;
  private String authMessage;

  ScramSha256Client(String user, String password, String clientNonce) {
    this.password = password;
    this.clientNonce = clientNonce;
    this.clientFirstBare = "n=" + user.replace("=", "=3D").replace(",", "=2C") + ",r=" + clientNonce;
  }

  /** For PostgreSQL: empty user, 18 random bytes of nonce. */
  static ScramSha256Client forPostgres(String password) {
    byte[] nonce = new byte[18];
    new SecureRandom().nextBytes(nonce);
    return new ScramSha256Client("", password, Base64.getEncoder().encodeToString(nonce));
  }

  String clientFirst() {
    return "n,," + clientFirstBare;
  }

  String clientFinal(String serverFirst) throws ProtocolException {
    Map<String, String> attrs = attributes(serverFirst);
    String nonce = attrs.get("r");
    if (nonce == null || !nonce.startsWith(clientNonce) || attrs.get("s") == null || attrs.get("i") == null) {
      throw new ProtocolException("bad SCRAM server-first message");
    }
    byte[] salt = Base64.getDecoder().decode(attrs.get("s"));
    int iterations = Integer.parseInt(attrs.get("i"));
    try {
      saltedPassword = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
          .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SCRAM: " + e.getMessage(), e);
    }
    byte[] clientKey = hmac(saltedPassword, "Client Key");
    byte[] storedKey = sha256(clientKey);
    String withoutProof = "c=biws,r=" + nonce;
    authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
    byte[] signature = hmac(storedKey, authMessage);
    byte[] proof = new byte[clientKey.length];
    for (int i = 0; i < proof.length; i++) {
      proof[i] = (byte) (clientKey[i] ^ signature[i]);
    }
    return withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof);
  }

  /** Does the server-final message prove the server knows the password (it is the server we think it is)? */
  boolean serverVerified(String serverFinal) {
    if (authMessage == null) {
      throw new IllegalStateException("SCRAM: server-final before client-final");
    }
    String expected = Base64.getEncoder().encodeToString(hmac(hmac(saltedPassword, "Server Key"), authMessage));
    return expected.equals(attributes(serverFinal).get("v"));
  }

  private static Map<String, String> attributes(String message) {
    Map<String, String> attrs = new LinkedHashMap<>();
    for (String part : message.split(",")) {
      int eq = part.indexOf('=');
      if (eq == 1) {
        attrs.put(part.substring(0, 1), part.substring(2));
      }
    }
    return attrs;
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SCRAM: " + e.getMessage(), e);
    }
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
