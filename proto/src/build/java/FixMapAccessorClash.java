import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Build step run between protoc and javac (single-file source launcher, no compile step needed).
 *
 * <p>Why: CSI v1.9+ puts a map field {@code parameters} and a map field {@code mutable_parameters}
 * in the same message (CreateVolumeRequest, ValidateVolumeCapabilitiesRequest,
 * ValidateVolumeCapabilitiesResponse.Confirmed). protoc's Java generator names the builder's
 * writable accessor of {@code parameters} {@code internalGetMutableParameters()} and the read
 * accessor of {@code mutable_parameters} the same, and likewise emits two
 * {@code getMutableParameters()} methods, so the generated builder does not compile. protoc's
 * own name-conflict detection does not cover this pattern. Renaming the spec's fields would
 * change the descriptor that peers and tools see, so instead we rename the colliding
 * <em>private</em> builder accessor of {@code parameters} and drop its deprecated duplicate
 * {@code getMutableParameters()} (callers use {@code putParameters}/{@code putAllParameters}).
 * The public API of both fields and the wire format are untouched.
 *
 * <p>Every rewrite below is required to match at least once in every affected file; if a protoc
 * upgrade changes the generated shape, the build fails here instead of compiling something
 * subtly different.
 */
public final class FixMapAccessorClash {

  private static final String WRITABLE = "internalGetWritableParameters";

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: FixMapAccessorClash <generated-java-dir>");
    }
    List<Path> affected;
    try (Stream<Path> files = Files.walk(Path.of(args[0]))) {
      affected =
          files
              .filter(p -> p.toString().endsWith(".java"))
              .filter(FixMapAccessorClash::hasClash)
              .toList();
    }
    if (affected.isEmpty()) {
      throw new IllegalStateException("no generated file has the parameters/mutable_parameters clash;"
          + " if protoc fixed it, remove this build step");
    }
    for (Path file : affected) {
      String src = Files.readString(file);
      String fixed = fix(src, file);
      Files.writeString(file, fixed);
      System.out.println("[FixMapAccessorClash] patched " + file.getFileName());
    }
  }

  private static boolean hasClash(Path p) {
    try {
      String s = Files.readString(p);
      return s.contains("internalGetMutableMutableParameters()")
          && s.contains("internalGetParameters()");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static String fix(String src, Path file) {
    // 1. The definition of the writable accessor for `parameters` (the only one that assigns
    //    `parameters_` lazily; the read accessor of `mutable_parameters` touches mutableParameters_).
    src = replaceRequired(src, file,
        Pattern.compile("internalGetMutableParameters\\(\\) \\{(\\s+)if \\(parameters_ == null\\) \\{(\\s+)parameters_ = "),
        m -> WRITABLE + "() {" + m.group(1) + "if (parameters_ == null) {" + m.group(2) + "parameters_ = ");

    // 2. Call sites that mutate: only `parameters` is mutated through this name, because the
    //    writable accessor of `mutable_parameters` is internalGetMutableMutableParameters().
    src = replaceRequired(src, file,
        Pattern.compile("internalGetMutableParameters\\(\\)(\\s*)\\.(getMutableMap|clear|mergeFrom)\\("),
        m -> WRITABLE + "()" + m.group(1) + "." + m.group(2) + "(");

    // 3. Reflection: inside internalGetMutableMapFieldReflection, the case for `parameters`.
    Matcher method = Pattern.compile(
            "internalGetMutableMapFieldReflection\\(\\s*int number\\) \\{.*?default:", Pattern.DOTALL)
        .matcher(src);
    StringBuilder out = new StringBuilder();
    int count = 0;
    while (method.find()) {
      String body = method.group();
      String patched = body.replace(
          "return internalGetMutableParameters();", "return " + WRITABLE + "();");
      if (!patched.equals(body)) {
        count++;
      }
      method.appendReplacement(out, Matcher.quoteReplacement(patched));
    }
    method.appendTail(out);
    requireMatched(count, file, "internalGetMutableMapFieldReflection");
    src = out.toString();

    // 4. Drop the builder's deprecated raw-mutable-map getter for `parameters`; its signature is
    //    identical to the (also deprecated) getter of `mutable_parameters`, which must stay
    //    because the OrBuilder interface declares it.
    src = replaceRequired(src, file,
        Pattern.compile("\\s*/\\*\\*\\s*\\* Use alternate mutation accessors instead\\.\\s*\\*/\\s*"
            + "@java\\.lang\\.Deprecated\\s*public java\\.util\\.Map<java\\.lang\\.String, java\\.lang\\.String>\\s*"
            + "getMutableParameters\\(\\) \\{[^}]*" + WRITABLE + "\\(\\)\\.getMutableMap\\(\\);\\s*\\}"),
        m -> "");
    return src;
  }

  private interface Rewrite {
    String apply(Matcher m);
  }

  private static String replaceRequired(String src, Path file, Pattern pattern, Rewrite rewrite) {
    Matcher m = pattern.matcher(src);
    StringBuilder out = new StringBuilder();
    int count = 0;
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(rewrite.apply(m)));
      count++;
    }
    m.appendTail(out);
    requireMatched(count, file, pattern.pattern());
    return out.toString();
  }

  private static void requireMatched(int count, Path file, String what) {
    if (count == 0) {
      throw new IllegalStateException(
          "generated code changed shape: no match for [" + what + "] in " + file);
    }
  }
}
