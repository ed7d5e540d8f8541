package dev.waybill.testkit;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Random names for databases, topics and directories. */
final class Names {

  private static final SecureRandom RANDOM = new SecureRandom();

  private Names() {}

  /** Returns {@code bytes} random bytes as lower-case hex. */
  static String hex(int bytes) {
    byte[] buffer = new byte[bytes];
    RANDOM.nextBytes(buffer);
    return HexFormat.of().formatHex(buffer);
  }
}
