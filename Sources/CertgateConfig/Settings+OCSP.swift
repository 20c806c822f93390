extension Settings {
    static let ocspSettings: [any AnySetting] = [ocspFetch, ocspDirectory]

    // MARK: OCSP stapling

    public static let ocspFetch = Setting(
        "ocsp-fetch", .toggle, group: .tls, valueName: "", type: "switch; true or false in YAML",
        default: "off", example: "true", reload: .restart,
        help: "Fetch each certificate's OCSP response from the responder URL in it (AIA, plain http://; a host "
            + "name is resolved on a thread of its own) on the control thread, refresh it at half its validity, and write "
            + "it to its .ocsp file (in --ocsp-dir when set) to be stapled.",
        keyPath: \.ocspFetch,
        parse: { text, _ throws(ConfigurationValueError) in try ValueParser.boolean(text) },
        render: RenderedValue.toggle)

    public static let ocspDirectory = Setting(
        "ocsp-dir", group: .tls, valueName: "dir", type: "path",
        default: "beside each certificate (NAME.ocsp next to NAME.pem)", example: "/var/lib/certgate/ocsp",
        reload: .restart,
        help: "Directory of OCSP responses to staple, NAME.ocsp per certificate NAME, instead of beside the "
            + "certificate files. --ocsp-fetch writes the responses it fetches there.",
        keyPath: \.ocspDirectory,
        parse: { text, context throws(ConfigurationValueError) in
            try ValueParser.path(text, relativeTo: context.baseDirectory)
        },
        render: RenderedValue.optionalText)
}
