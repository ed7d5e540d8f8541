package dev.waybill.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * A class loader that behaves as if some libraries were not on the class path, to test the code
 * paths of applications without an optional dependency (e.g. OpenTelemetry). It defines the classes
 * of {@code dev.waybill} itself, from the test's class path, so they link against what it offers;
 * classes under a hidden prefix are not found; everything else comes from the parent.
 */
public final class HidingClassLoader extends ClassLoader {
  private static final String OWN = "dev.waybill.";
  private final List<String> hidden;

  /**
   * @param parent where everything else comes from, e.g. the test class's loader
   * @param hiddenPrefixes package prefixes to hide, e.g. {@code "io.opentelemetry."}
   */
  public HidingClassLoader(ClassLoader parent, String... hiddenPrefixes) {
    super(parent);
    this.hidden = List.of(hiddenPrefixes);
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    synchronized (getClassLoadingLock(name)) {
      for (String prefix : hidden) {
        if (name.startsWith(prefix)) {
          throw new ClassNotFoundException(name + " (hidden by the test)");
        }
      }
      if (!name.startsWith(OWN)) {
        return super.loadClass(name, resolve);
      }
      Class<?> c = findLoadedClass(name);
      if (c == null) {
        String path = name.replace('.', '/') + ".class";
        try (InputStream in = getParent().getResourceAsStream(path)) {
          if (in == null) {
            throw new ClassNotFoundException(name);
          }
          byte[] bytes = in.readAllBytes();
          c = defineClass(name, bytes, 0, bytes.length);
        } catch (IOException e) {
          throw new ClassNotFoundException(name, e);
        }
      }
      if (resolve) {
        resolveClass(c);
      }
      return c;
    }
  }
}
