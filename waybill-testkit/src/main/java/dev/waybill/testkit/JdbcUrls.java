package dev.waybill.testkit;

import java.net.InetSocketAddress;

/** Rewrites the database part of PostgreSQL and MariaDB JDBC URLs. */
final class JdbcUrls {

  private JdbcUrls() {}

  /**
   * Returns {@code url} pointing at {@code database} instead of the database it names (if any),
   * keeping the host list and the query parameters.
   *
   * <p>Handles {@code jdbc:sub://hosts[/db][?params]} and {@code jdbc:sub:db[?params]}.
   */
  static String withDatabase(String url, String database) {
    if (!url.startsWith("jdbc:")) {
      throw new IllegalArgumentException("not a JDBC URL: " + url);
    }
    int query = url.indexOf('?');
    String params = query < 0 ? "" : url.substring(query);
    String head = query < 0 ? url : url.substring(0, query);
    int scheme = head.indexOf("://");
    if (scheme >= 0) {
      int path = head.indexOf('/', scheme + 3);
      String hosts = path < 0 ? head : head.substring(0, path);
      return hosts + "/" + database + params;
    }
    int colon = head.indexOf(':', "jdbc:".length());
    if (colon < 0) {
      throw new IllegalArgumentException("cannot find the database in JDBC URL: " + url);
    }
    return head.substring(0, colon + 1) + database + params;
  }

  /**
   * Returns the host and port a PostgreSQL or MariaDB URL ({@code jdbc:sub://host[:port][/db]...})
   * connects to; the port defaults to 5432 for PostgreSQL and 3306 otherwise.
   *
   * @throws IllegalArgumentException for a URL without a single {@code //host} part (H2, host
   *     lists)
   */
  static InetSocketAddress address(String url) {
    int scheme = url.indexOf("://");
    if (!url.startsWith("jdbc:") || scheme < 0) {
      throw new IllegalArgumentException("no //host in JDBC URL: " + url);
    }
    int end = scheme + 3;
    while (end < url.length() && "/?;".indexOf(url.charAt(end)) < 0) {
      end++;
    }
    String hostPort = url.substring(scheme + 3, end);
    if (hostPort.isEmpty() || hostPort.contains(",")) {
      throw new IllegalArgumentException("not a single host in JDBC URL: " + url);
    }
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0 || hostPort.endsWith("]")) {
      int port = url.startsWith("jdbc:postgresql:") ? 5432 : 3306;
      return InetSocketAddress.createUnresolved(hostPort, port);
    }
    return InetSocketAddress.createUnresolved(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  /**
   * Returns {@code url} connecting to {@code host:port} instead of the host it names, keeping the
   * database and the parameters.
   */
  static String withAddress(String url, String host, int port) {
    int scheme = url.indexOf("://");
    address(url); // validates
    int end = scheme + 3;
    while (end < url.length() && "/?;".indexOf(url.charAt(end)) < 0) {
      end++;
    }
    return url.substring(0, scheme + 3) + host + ":" + port + url.substring(end);
  }
}
