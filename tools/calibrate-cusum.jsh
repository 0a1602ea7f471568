// Calibrates the monitor's CUSUM threshold on clean runs' monitor.csv files (source = batch series, one per
// layer and run) and prints cusum-threshold.properties. Run with the CLI jar on the class path:
//   MONITOR_CSVS="run1/monitor.csv run2/monitor.csv ..." jshell --class-path cli/target/hesse-cli.jar tools/calibrate-cusum.jsh
import java.nio.file.*;
import java.util.*;
import org.hesse.hvp.monitor.Cusum;

int window = 10;
double k = 0.5;
int horizon = 100;
double alpha = 0.05;
int replicates = 20000;
List<double[]> series = new ArrayList<>();
for (String f : System.getenv("MONITOR_CSVS").trim().split("\\s+")) {
  Map<String, List<Double>> byLayer = new LinkedHashMap<>();
  List<String> lines = Files.readAllLines(Path.of(f));
  for (String line : lines.subList(1, lines.size())) {
    String[] c = line.split(",");
    if (c[2].equals("batch")) byLayer.computeIfAbsent(c[3], key -> new ArrayList<>()).add(Double.parseDouble(c[4]));
  }
  for (List<Double> t : byLayer.values()) series.add(t.stream().mapToDouble(Double::doubleValue).toArray());
}
double h = Cusum.calibrate(series, window, k, horizon, alpha, replicates, 1);
int alarms = Cusum.alarms(series, new Cusum.Settings(window, k, h));
int shortest = series.stream().mapToInt(s -> s.length).min().getAsInt();
System.out.println("window=" + window + "\nk=" + k + "\nh=" + h + "\nalpha=" + alpha + "\nhorizon=" + horizon);
System.out.println("clean_series=" + series.size() + "\nclean_series_alarming=" + alarms + "\nshortest_series=" + shortest);
/exit
