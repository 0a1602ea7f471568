package org.hesse.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The one registry of layer types by description name: every {@link LayerType} provider on the class path
 * ({@link ServiceLoader}, in the order of the service files), plus those {@link #register registered} at run time.
 */
public final class LayerTypes {
  private static final Map<String, LayerType> TYPES = new LinkedHashMap<>();

  static {
    for (LayerType t : ServiceLoader.load(LayerType.class, LayerType.class.getClassLoader())) add(t);
  }

  private LayerTypes() {}

  private static void add(LayerType t) {
    for (String name : t.names()) TYPES.put(name, t);
  }

  /** Adds a type at run time (a later registration of a name replaces the earlier one). */
  public static synchronized void register(LayerType type) {
    add(type);
  }

  /** The type of that description name, or null. */
  public static synchronized LayerType byName(String name) {
    return TYPES.get(name);
  }

  /** Names usable in a {@code "layers"} list ({@code all} false) or in a graph (true), in registration order. */
  public static synchronized List<String> names(boolean all) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, LayerType> e : TYPES.entrySet()) if (all || e.getValue().inLayerLists()) out.add(e.getKey());
    return out;
  }
}
