/// The release this build is: what a box tells its hub it runs, and what `--version`
/// prints. Raised with each release (`scripts/deb` adds the commit count to packages).
public enum StationVersion {
    public static let current = "0.2.0"
}
