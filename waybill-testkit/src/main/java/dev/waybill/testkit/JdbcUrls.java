package dev.waybill.testkit;

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
}
