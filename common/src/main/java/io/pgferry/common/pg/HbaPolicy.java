package io.pgferry.common.pg;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a pg_hba entry pgferry writes may say, the one rule for both sides: the plan checks it at `pgferry plan`
 * (nodes.hba_method, logical.target_address), the agent checks every goal's hba rules against it before it keeps the
 * goal. Each check returns the reason as a sentence, or empty when the value is acceptable.
 */
public final class HbaPolicy {
  /** The widest IPv4 prefix accepted without allow_wide_address (a /16: 65536 hosts). */
  public static final int WIDEST_IPV4 = 16;
  /** The widest IPv6 prefix accepted without allow_wide_address. */
  public static final int WIDEST_IPV6 = 48;
  /** The methods a pg_hba entry from pgferry may use (md5 only where PostgreSQL is 13 or older). */
  public static final String METHODS = "scram-sha-256, cert, or md5 on PostgreSQL 13 and older";

  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?:/(\\d{1,2}))?");
  private static final Pattern IPV6 = Pattern.compile("([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)(?:/(\\d{1,3}))?");
  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

  private HbaPolicy() {}

  /**
   * The authentication method. {@code pgMajor} 0 when unknown (md5 is then accepted: the agent checks it again
   * against its own PostgreSQL). {@code allowTrust}: tests only.
   */
  public static Optional<String> methodProblem(String method, int pgMajor, boolean allowTrust) {
    String m = method == null ? "" : method;
    switch (m) {
      case "scram-sha-256", "cert":
        return Optional.empty();
      case "md5":
        return pgMajor == 0 || pgMajor <= 13 ? Optional.empty()
            : Optional.of("method md5 is accepted only on PostgreSQL 13 and older (this is " + pgMajor + "); use scram-sha-256");
      case "trust":
        return allowTrust ? Optional.empty()
            : Optional.of("method trust lets anyone in without a password; use " + METHODS);
      default:
        return Optional.of("method '" + printable(m) + "' is not accepted; use " + METHODS);
    }
  }

  /**
   * An address as pg_hba takes it: a CIDR (10.0.0.7/32, fd00::7/128) no wider than {@link #WIDEST_IPV4} /
   * {@link #WIDEST_IPV6} unless {@code allowWide} (a /0 never), or one host name (no keyword such as all or samenet,
   * no leading-dot suffix match). {@code bareIpAllowed}: an IP without a prefix counts as one host (the plan's
   * target_address); pg_hba itself needs the prefix.
   */
  public static Optional<String> addressProblem(String address, boolean allowWide, boolean bareIpAllowed) {
    String a = address == null ? "" : address;
    if (a.isEmpty()) {
      return Optional.of("the address is empty; give one host as a CIDR such as 10.0.0.7/32");
    }
    Matcher v4 = IPV4.matcher(a);
    if (v4.matches()) {
      for (int i = 1; i <= 4; i++) {
        if (Integer.parseInt(v4.group(i)) > 255) {
          return Optional.of("address '" + a + "' is not an IPv4 address");
        }
      }
      return prefixProblem(a, v4.group(5), 32, WIDEST_IPV4, allowWide, bareIpAllowed);
    }
    Matcher v6 = IPV6.matcher(a);
    if (v6.matches()) {
      if (!validIpv6(v6.group(1))) {
        return Optional.of("address '" + printable(a) + "' is not an IPv6 address");
      }
      return prefixProblem(a, v6.group(2), 128, WIDEST_IPV6, allowWide, bareIpAllowed);
    }
    String lower = a.toLowerCase(Locale.ROOT);
    if (lower.equals("all") || lower.equals("samehost") || lower.equals("samenet")) {
      return Optional.of("address '" + a + "' is a pg_hba keyword that admits more than one known host; give a CIDR such as 10.0.0.7/32");
    }
    if (!HOST_NAME.matcher(a).matches() || a.length() > 253) {
      return Optional.of("address '" + printable(a) + "' is neither a CIDR such as 10.0.0.7/32 nor a host name");
    }
    return Optional.empty();
  }

  private static Optional<String> prefixProblem(String a, String prefix, int bits, int widest, boolean allowWide,
                                                boolean bareIpAllowed) {
    if (prefix == null) {
      return bareIpAllowed ? Optional.empty()
          : Optional.of("address '" + a + "' has no prefix length; write " + a + "/" + bits + " for one host");
    }
    int p = Integer.parseInt(prefix);
    if (p > bits) {
      return Optional.of("address '" + a + "': a prefix of /" + p + " is longer than " + bits + " bits");
    }
    if (p == 0) {
      return Optional.of("address '" + a + "' admits every address; give the hosts that need access (e.g. 10.0.0.7/32)");
    }
    if (p < widest && !allowWide) {
      return Optional.of("address '" + a + "' is wider than /" + widest + "; give the hosts that need access (e.g. a /32),"
          + " or allow wide addresses explicitly (allow_wide_address: true)");
    }
    return Optional.empty();
  }

  private static boolean validIpv6(String text) {
    if (text.chars().filter(c -> c == ':').count() < 2) {
      return false;
    }
    try {
      return InetAddress.getByName(text) instanceof Inet6Address; // a literal: no DNS lookup
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** {@code text} with control characters shown as \n, \r, \0, \xNN so a message stays one line. */
  public static String printable(String text) {
    StringBuilder sb = new StringBuilder();
    for (char c : text.toCharArray()) {
      switch (c) {
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\0' -> sb.append("\\0");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\x%02x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.toString();
  }
}
