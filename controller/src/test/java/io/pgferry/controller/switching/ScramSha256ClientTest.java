package io.pgferry.controller.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The SCRAM-SHA-256 exchange of RFC 7677 §3. */
class ScramSha256ClientTest {
  private static final String SERVER_FIRST =
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

  private static ScramSha256Client rfcClient() {
    return new ScramSha256Client("user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  }

  @Test
  void theRfc7677ExchangeGivesItsClientMessagesAndAcceptsItsServerSignature() throws Exception {
    ScramSha256Client scram = rfcClient();
    assertEquals("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", scram.clientFirst());
    assertEquals("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        scram.clientFinal(SERVER_FIRST));
    assertTrue(scram.serverVerified("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  }

  @Test
  void aServerThatDoesNotKnowThePasswordIsRefused() throws Exception {
    ScramSha256Client scram = rfcClient();
    scram.clientFinal(SERVER_FIRST);
    assertFalse(scram.serverVerified("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
    assertFalse(scram.serverVerified("e=invalid-proof"));
  }

  @Test
  void aServerNonceThatDoesNotExtendOursIsRefused() {
    ScramSha256Client scram = rfcClient();
    assertThrows(ScramSha256Client.ProtocolException.class,
        () -> scram.clientFinal("r=someoneElsesNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
    assertThrows(ScramSha256Client.ProtocolException.class, () -> scram.clientFinal("r=rOprNGfwEbeRWgbNEkqOxyz,i=4096"));
  }

  @Test
  void postgresGetsAnEmptyUserAndAFreshNonce() {
    String first = ScramSha256Client.forPostgres("pw").clientFirst();
    assertTrue(first.startsWith("n,,n=,r="), first);
    assertFalse(first.equals(ScramSha256Client.forPostgres("pw").clientFirst()));
  }
}
