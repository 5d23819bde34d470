//! The third-party SDK list: SDKs that run inside an app's processes (push,
//! analytics, ads, crash reporting, social login, attribution) with the
//! traces a tester without root sees of them in logcat: the process-name
//! suffixes their components declare, the class-name prefixes of those
//! components, and the log tags they write; and the domains their clients
//! contact, seen in a packet capture. Loaded from
//! `scenarios/builtin/sdks.yaml` (embedded) and an optional user file that
//! adds or replaces SDKs by id ([`Sdks::with_file`]); answers which SDK a
//! process start ([`Sdks::by_process`]), a log tag ([`Sdks::by_tag`]) or a
//! contacted host ([`Sdks::by_domain`]) belongs to, for
//! `share-without-consent`. Format and table:
//! `docs/sdks.md`. Pure: the only I/O is reading the user's file. The
//! located-error plumbing is shared with the app-type table
//! (`apptypes.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::apptypes::is_kebab;
use crate::datafile::{Positions, Problem, check_header, parse, unique_ids};

/// The built-in SDK list, embedded at build time.
pub const BUILTIN: &str = include_str!("../../scenarios/builtin/sdks.yaml");

/// The name the built-in list goes by in errors.
const BUILTIN_ORIGIN: &str = "scenarios/builtin/sdks.yaml";

/// Process suffixes too generic to name an SDK: apps give their own
/// components these names.
const GENERIC_SUFFIXES: &[&str] = &[":push", ":remote", ":service", ":core", ":sdk", ":main"];

/// Log tags too generic to name an SDK.
const GENERIC_TAGS: &[&str] = &["Sdk", "SDK", "sdk", "Push", "push", "Log", "App", "main"];

/// Domains that name no SDK: public suffixes under which anyone registers
/// (`com.cn`), and shared infrastructure that hosts everyone (clouds, CDNs,
/// a vendor's umbrella domain with all its products). An SDK may list a
/// host under them (`bugly.qq.com`, `firebaselogging-pa.googleapis.com`),
/// never the domain itself.
const GENERIC_DOMAINS: &[&str] = &[
    // Public suffixes of two labels.
    "com.cn",
    "net.cn",
    "org.cn",
    "gov.cn",
    "edu.cn",
    "ac.cn",
    "com.hk",
    "com.tw",
    "co.uk",
    "co.jp",
    "co.kr",
    "com.au",
    "com.br",
    "appspot.com",
    "github.io",
    // Shared infrastructure and umbrella domains.
    "qq.com",
    "tencent.com",
    "baidu.com",
    "alibaba.com",
    "taobao.com",
    "bytedance.com",
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "googleusercontent.com",
    "facebook.com",
    "fbcdn.net",
    "apple.com",
    "microsoft.com",
    "amazonaws.com",
    "amazon.com",
    "cloudfront.net",
    "aliyuncs.com",
    "alicdn.com",
    "myqcloud.com",
    "tencent-cloud.net",
    "akamaized.net",
    "akamaihd.net",
    "akamai.net",
    "edgekey.net",
    "azureedge.net",
    "cloudflare.com",
    "fastly.net",
];

/// What an SDK does for the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SdkKind {
    Push,
    Analytics,
    Ads,
    Crash,
    Social,
    Attribution,
}

impl SdkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SdkKind::Push => "push",
            SdkKind::Analytics => "analytics",
            SdkKind::Ads => "ads",
            SdkKind::Crash => "crash",
            SdkKind::Social => "social",
            SdkKind::Attribution => "attribution",
        }
    }
}

/// One SDK and the evidence of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sdk {
    /// Stable kebab-case id (`jpush`).
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    pub vendor: String,
    pub kind: SdkKind,
    /// `android:process` names its components declare, with the colon
    /// (`:pushcore`); the process is `package + suffix`.
    #[serde(default)]
    pub process_suffixes: Vec<String>,
    /// Class-name prefixes of its components (`cn.jpush.android.`).
    #[serde(default)]
    pub component_prefixes: Vec<String>,
    /// Log tags it writes, exact and case-sensitive.
    #[serde(default)]
    pub log_tags: Vec<String>,
    /// Registrable domains or host suffixes its client contacts
    /// (`jpush.cn`), lower-case; a host matches on label boundaries
    /// (`stats.jpush.cn` matches `jpush.cn`, `notjpush.cn` does not).
    #[serde(default)]
    pub domains: Vec<String>,
    /// Integration docs or manifests the entry was checked against.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// Why an SDK file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SdksError {
    #[error("{}: the SDK file cannot be read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}:{line}:{column}: {key}: {message}")]
    Invalid {
        origin: String,
        line: usize,
        column: usize,
        key: String,
        message: String,
    },
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    kind: Option<String>,
    version: Option<u32>,
    #[serde(default)]
    sdks: Vec<Sdk>,
}

/// The loaded list, ready for matching.
#[derive(Debug, Clone, Default)]
pub struct Sdks {
    list: Vec<Sdk>,
    suffixes: HashMap<String, usize>,
    tags: HashMap<String, usize>,
    /// Prefix → SDK, longest first.
    prefixes: Vec<(String, usize)>,
    /// Domain → SDK.
    domains: HashMap<String, usize>,
}

impl Sdks {
    /// The built-in list. It is checked by this module's tests; should it
    /// ever fail to parse, the list is empty and no SDK is recognised.
    pub fn builtin() -> Self {
        static BUILT: OnceLock<Sdks> = OnceLock::new();
        BUILT
            .get_or_init(|| Self::from_yaml(BUILTIN, BUILTIN_ORIGIN).unwrap_or_default())
            .clone()
    }

    /// A list from YAML text alone; `origin` names the text in errors.
    /// Unknown keys, an SDK without evidence or sources, and a suffix,
    /// prefix or tag claimed twice are errors with their line and key.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, SdksError> {
        let (raw, at) = load(text, origin)?;
        let origins: Vec<Option<usize>> = (0..raw.sdks.len()).map(Some).collect();
        assemble(raw.sdks, &origins, &at).map_err(|p| invalid(origin, p))
    }

    /// The built-in list with the SDKs of the file at `path`: an SDK with a
    /// built-in id replaces that SDK, others are added.
    pub fn with_file(path: &Path) -> Result<Self, SdksError> {
        let text = std::fs::read_to_string(path).map_err(|source| SdksError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::with_text(&text, &path.display().to_string())
    }

    /// [`Sdks::with_file`] on text already read; `origin` names it in
    /// errors.
    pub fn with_text(text: &str, origin: &str) -> Result<Self, SdksError> {
        let (raw, at) = load(text, origin)?;
        let mut sdks = Self::builtin().list;
        let mut origins: Vec<Option<usize>> = vec![None; sdks.len()];
        for (i, s) in raw.sdks.into_iter().enumerate() {
            if let Some(slot) = sdks.iter().position(|b| b.id == s.id) {
                sdks[slot] = s;
                origins[slot] = Some(i);
            } else {
                sdks.push(s);
                origins.push(Some(i));
            }
        }
        assemble(sdks, &origins, &at).map_err(|p| invalid(origin, p))
    }

    /// Every SDK, in the list's order.
    pub fn all(&self) -> &[Sdk] {
        &self.list
    }

    /// The SDK a process start belongs to: `process` is the full process
    /// name as logged (`com.app:pushcore`), `component` the started
    /// component (`com.app/cn.jpush.android.service.PushService`, may be
    /// empty). Matches when the component's class starts with a known
    /// prefix (the longest wins; a class in the app's own package never
    /// matches), else when the process is `package + suffix` for a known
    /// suffix. A process of another package matches nothing, and neither
    /// does the app's main process on its own.
    pub fn by_process(
        &self,
        package: &str,
        process: &str,
        component: Option<&str>,
    ) -> Option<&Sdk> {
        let suffix = process.strip_prefix(package)?;
        if !(suffix.is_empty() || suffix.starts_with(':')) {
            return None;
        }
        if let Some(class) = component.and_then(|c| component_class(package, c)) {
            let own = class
                .strip_prefix(package)
                .is_some_and(|rest| rest.starts_with('.'));
            if !own {
                if let Some((_, i)) = self
                    .prefixes
                    .iter()
                    .find(|(p, _)| class.starts_with(p.as_str()))
                {
                    return Some(&self.list[*i]);
                }
            }
        }
        self.suffixes.get(suffix).map(|&i| &self.list[i])
    }

    /// The SDK a log tag belongs to (exact, case-sensitive).
    pub fn by_tag(&self, tag: &str) -> Option<&Sdk> {
        self.tags.get(tag).map(|&i| &self.list[i])
    }

    /// The SDK a contacted host belongs to: the SDK with the longest listed
    /// domain that is the host or a suffix of it on a label boundary
    /// (`stats.jpush.cn` → `jpush.cn`; `notjpush.cn` matches nothing).
    /// Case-insensitive; a trailing dot is ignored.
    pub fn by_domain(&self, host: &str) -> Option<&Sdk> {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        let mut rest = host.as_str();
        loop {
            if let Some(&i) = self.domains.get(rest) {
                return self.list.get(i);
            }
            rest = rest.split_once('.')?.1;
        }
    }
}

/// The class of a started component of `package` (`pkg/cls`, `pkg/.Cls`,
/// or a bare class), with a relative class made absolute; `None` when the
/// component is empty or belongs to another package.
fn component_class(package: &str, component: &str) -> Option<String> {
    let c = component
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}');
    let (pkg, class) = c.split_once('/').unwrap_or((package, c));
    if pkg != package || class.is_empty() {
        return None;
    }
    Some(if class.starts_with('.') {
        format!("{pkg}{class}")
    } else {
        class.to_string()
    })
}

fn load(text: &str, origin: &str) -> Result<(RawFile, Positions), SdksError> {
    let at = Positions::of(text);
    let raw: RawFile = parse(text, &at).map_err(|p| invalid(origin, p))?;
    check_header(raw.kind.as_deref(), raw.version, "sdks", "an SDK file", &at)
        .map_err(|p| invalid(origin, p))?;
    let ids: Vec<&str> = raw.sdks.iter().map(|s| s.id.as_str()).collect();
    unique_ids(&ids, "sdks", &at).map_err(|p| invalid(origin, p))?;
    Ok((raw, at))
}

fn invalid(origin: &str, p: Problem) -> SdksError {
    SdksError::Invalid {
        origin: origin.to_string(),
        line: p.line,
        column: p.column,
        key: p.key,
        message: p.message,
    }
}

/// What an SDK claims, for the uniqueness check: (field, value, table).
fn claims(s: &Sdk) -> Vec<(String, &str, Claim)> {
    let mut out = vec![("id".to_string(), s.id.as_str(), Claim::Id)];
    for (field, list, claim) in [
        ("process_suffixes", &s.process_suffixes, Claim::Suffix),
        ("component_prefixes", &s.component_prefixes, Claim::Prefix),
        ("log_tags", &s.log_tags, Claim::Tag),
        ("domains", &s.domains, Claim::Domain),
    ] {
        out.extend(
            list.iter()
                .enumerate()
                .map(|(j, v)| (format!("{field}[{j}]"), v.as_str(), claim)),
        );
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Claim {
    Id,
    Suffix,
    Prefix,
    Tag,
    Domain,
}

/// Checks every SDK and builds the lookups. `origins[i]` is the position of
/// SDK `i` in the file being loaded (`None` for a built-in one).
fn assemble(sdks: Vec<Sdk>, origins: &[Option<usize>], at: &Positions) -> Result<Sdks, Problem> {
    let key = |i: usize, field: &str| format!("sdks[{}].{field}", origins[i].unwrap_or(i));
    for (i, s) in sdks.iter().enumerate() {
        if origins[i].is_some() {
            check_sdk(s, &|field| key(i, field), at)?;
        }
    }
    let mut owner: HashMap<(Claim, &str), usize> = HashMap::new();
    for (i, s) in sdks.iter().enumerate() {
        for (field, value, claim) in claims(s) {
            match owner.get(&(claim, value)) {
                Some(&j) if j != i => {
                    let (mine, other) = if origins[i].is_none() && origins[j].is_some() {
                        (j, i)
                    } else {
                        (i, j)
                    };
                    let field = if mine == i {
                        field
                    } else {
                        claims(&sdks[mine])
                            .into_iter()
                            .find(|(_, v, c)| *v == value && *c == claim)
                            .map_or_else(|| "id".to_string(), |(f, ..)| f)
                    };
                    return Err(at.problem(
                        &key(mine, &field),
                        format!(
                            "`{value}` is already claimed by the SDK `{}`; a suffix, prefix, tag, domain or id names one SDK",
                            sdks[other].id
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    owner.insert((claim, value), i);
                }
            }
        }
    }
    let mut suffixes = HashMap::new();
    let mut tags = HashMap::new();
    let mut prefixes = Vec::new();
    let mut domains = HashMap::new();
    for (i, s) in sdks.iter().enumerate() {
        suffixes.extend(s.process_suffixes.iter().map(|x| (x.clone(), i)));
        domains.extend(s.domains.iter().map(|x| (x.clone(), i)));
        tags.extend(s.log_tags.iter().map(|x| (x.clone(), i)));
        prefixes.extend(s.component_prefixes.iter().map(|x| (x.clone(), i)));
    }
    prefixes
        .sort_by(|a: &(String, usize), b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    Ok(Sdks {
        list: sdks,
        suffixes,
        tags,
        prefixes,
        domains,
    })
}

/// The checks of one SDK on its own.
fn check_sdk(s: &Sdk, key: &dyn Fn(&str) -> String, at: &Positions) -> Result<(), Problem> {
    if !is_kebab(&s.id) {
        return Err(at.problem(
            &key("id"),
            format!(
                "`{}` is not a kebab-case id (lower-case letters, digits and single hyphens, like `jpush`)",
                s.id
            ),
        ));
    }
    for (field, value) in [("name", &s.name), ("vendor", &s.vendor)] {
        if value.trim().is_empty() {
            return Err(at.problem(&key(field), format!("`{}` has an empty {field}", s.id)));
        }
    }
    if s.process_suffixes.is_empty()
        && s.component_prefixes.is_empty()
        && s.log_tags.is_empty()
        && s.domains.is_empty()
    {
        return Err(at.problem(
            &key("id"),
            format!(
                "`{}` names no evidence; give at least one of process_suffixes, component_prefixes, log_tags or domains",
                s.id
            ),
        ));
    }
    if s.sources.is_empty() {
        return Err(at.problem(
            &key("sources"),
            format!("`{}` has no sources; name the integration docs or manifests it was checked against", s.id),
        ));
    }
    for (j, u) in s.sources.iter().enumerate() {
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            return Err(at.problem(
                &key(&format!("sources[{j}]")),
                format!("`{u}` is not an http(s) URL"),
            ));
        }
    }
    for (j, x) in s.process_suffixes.iter().enumerate() {
        let name = x.strip_prefix(':').unwrap_or("");
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !ok {
            return Err(at.problem(
                &key(&format!("process_suffixes[{j}]")),
                format!("`{x}` is not a process suffix (a colon and a name, like `:pushcore`)"),
            ));
        }
        if GENERIC_SUFFIXES.contains(&x.as_str()) {
            return Err(at.problem(
                &key(&format!("process_suffixes[{j}]")),
                format!("`{x}` is too generic: apps name their own processes so; name the SDK's component prefix instead"),
            ));
        }
    }
    for (j, x) in s.component_prefixes.iter().enumerate() {
        let ok = x.contains('.')
            && !x.starts_with('.')
            && x.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$');
        if !ok {
            return Err(at.problem(
                &key(&format!("component_prefixes[{j}]")),
                format!("`{x}` is not a class-name prefix (a Java package ending in `.`, like `cn.jpush.android.`, or a class)"),
            ));
        }
    }
    for (j, x) in s.log_tags.iter().enumerate() {
        if x.trim().is_empty() || x.trim() != x {
            return Err(at.problem(
                &key(&format!("log_tags[{j}]")),
                format!("`{x}` is not a log tag (no leading or trailing spaces)"),
            ));
        }
        if GENERIC_TAGS.contains(&x.as_str()) {
            return Err(at.problem(
                &key(&format!("log_tags[{j}]")),
                format!("`{x}` is too generic: apps log under that tag too"),
            ));
        }
    }
    for (j, x) in s.domains.iter().enumerate() {
        check_domain(x).map_err(|m| at.problem(&key(&format!("domains[{j}]")), m))?;
    }
    Ok(())
}

/// A listed domain: lower-case host syntax, at least two labels, not a
/// public suffix or shared infrastructure.
fn check_domain(x: &str) -> Result<(), String> {
    let labels_ok = x.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    if !labels_ok || x.len() > 253 {
        return Err(format!(
            "`{x}` is not a domain (lower-case letters, digits and hyphens in dot-separated labels, like `jpush.cn`; no scheme, port, path or trailing dot)"
        ));
    }
    if !x.contains('.') {
        return Err(format!(
            "`{x}` has no dot: a top-level domain names no SDK; give the SDK's registrable domain, like `jpush.cn`"
        ));
    }
    if GENERIC_DOMAINS.contains(&x) {
        return Err(format!(
            "`{x}` is too generic: it is a public suffix or shared infrastructure that hosts many vendors; list the SDK's own host under it (like `bugly.qq.com`)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_list_parses() {
        let s = Sdks::from_yaml(BUILTIN, BUILTIN_ORIGIN);
        assert!(
            s.is_ok(),
            "{}",
            s.err().map(|e| e.to_string()).unwrap_or_default()
        );
        assert!(Sdks::builtin().all().len() >= 20);
    }

    #[test]
    fn every_sdk_has_a_source_and_some_evidence() {
        for s in Sdks::builtin().all() {
            assert!(!s.sources.is_empty(), "{}", s.id);
            assert!(
                !(s.process_suffixes.is_empty()
                    && s.component_prefixes.is_empty()
                    && s.log_tags.is_empty()
                    && s.domains.is_empty()),
                "{}",
                s.id
            );
        }
    }

    #[test]
    fn a_host_matches_its_sdk_s_domain_on_label_boundaries() {
        let s = Sdks::builtin();
        let id = |h: &str| s.by_domain(h).map(|x| x.id.clone());
        assert_eq!(id("stats.jpush.cn").as_deref(), Some("jpush"));
        assert_eq!(id("jpush.cn").as_deref(), Some("jpush"));
        assert_eq!(id("STATS.JPush.CN.").as_deref(), Some("jpush"));
        assert_eq!(id("ulogs.umeng.com").as_deref(), Some("umeng"));
        assert_eq!(id("notjpush.cn"), None);
        assert_eq!(id("jpush.cn.evil.example"), None);
        assert_eq!(id("cn"), None);
        assert_eq!(id(""), None);
        assert_eq!(id("."), None);
        // Shared infrastructure names nobody; a listed host under it does.
        assert_eq!(id("qq.com"), None);
        assert_eq!(id("www.qq.com"), None);
        assert_eq!(id("android.bugly.qq.com").as_deref(), Some("tencent-bugly"));
        assert_eq!(id("googleapis.com"), None);
    }

    #[test]
    fn the_longest_listed_domain_wins() {
        let text = ONE.replace("    sources:", "    domains: [acme.example]\n    sources:")
            + "  - id: acme-ads
    name: Acme Ads
    vendor: Acme
    kind: ads
    domains: [ads.acme.example]
    sources: [https://acme.example/ads]
";
        let s = Sdks::from_yaml(&text, "mine.yaml").unwrap();
        let id = |h: &str| s.by_domain(h).map(|x| x.id.clone());
        assert_eq!(id("x.ads.acme.example").as_deref(), Some("acme-ads"));
        assert_eq!(id("ads.acme.example").as_deref(), Some("acme-ads"));
        assert_eq!(id("push.acme.example").as_deref(), Some("acme-push"));
        assert_eq!(id("badsacme.example"), None);
        assert_eq!(
            s.all()[1].process_suffixes.len(),
            0,
            "domains alone are evidence"
        );
    }

    #[test]
    fn bad_domains_are_refused_with_their_line_and_key() {
        let e = |domains: &str| {
            let text = ONE.replace(
                "    sources:",
                &format!("    domains: {domains}\n    sources:"),
            );
            Sdks::from_yaml(&text, "mine.yaml").unwrap_err().to_string()
        };
        let m = e("[acme.example, cn]");
        assert!(m.starts_with("mine.yaml:11:29: sdks[0].domains[1]:"), "{m}");
        assert!(m.contains("no dot"), "{m}");
        for generic in ["com.cn", "qq.com", "googleapis.com", "amazonaws.com"] {
            let m = e(&format!("[{generic}]"));
            assert!(
                m.starts_with("mine.yaml:11:")
                    && m.contains("sdks[0].domains[0]")
                    && m.contains("too generic"),
                "{m}"
            );
        }
        for bad in [
            "Acme.example",
            "https://acme.example",
            "acme.example.",
            "acme..example",
            "acme.example:443",
        ] {
            let m = e(&format!("[\"{bad}\"]"));
            assert!(
                m.contains("sdks[0].domains[0]") && m.contains("is not a domain"),
                "{m}"
            );
        }
        // Claimed by two SDKs: the built-in JPush, and the user's file.
        let text = ONE.replace(
            "    sources:",
            "    domains: [acme.example, jpush.cn]\n    sources:",
        );
        let m = Sdks::with_text(&text, "mine.yaml").unwrap_err().to_string();
        assert!(m.starts_with("mine.yaml:11:29: sdks[0].domains[1]:"), "{m}");
        assert!(m.contains("jpush") && m.contains("already claimed"), "{m}");
        // A hosting domain under a shared one is allowed.
        let ok = ONE.replace(
            "    sources:",
            "    domains: [acme.aliyuncs.com]\n    sources:",
        );
        assert!(Sdks::from_yaml(&ok, "mine.yaml").is_ok());
    }

    #[test]
    fn the_brief_s_sdks_are_all_there() {
        let s = Sdks::builtin();
        for id in [
            "jpush",
            "getui",
            "xiaomi-mipush",
            "huawei-hms-push",
            "umeng",
            "umeng-push",
            "alibaba-accs",
            "tencent-tpns",
            "baidu-push",
            "oppo-push",
            "vivo-push",
            "meizu-push",
            "tencent-bugly",
            "aliyun-push",
            "sensors-data",
            "growingio",
            "firebase",
            "facebook",
            "appsflyer",
            "adjust",
            "pangle-csj",
            "tencent-gdt",
            "baidu-mobads",
            "kuaishou-ads",
        ] {
            assert!(s.all().iter().any(|x| x.id == id), "{id}");
        }
    }

    #[test]
    fn a_process_matches_by_suffix_only_for_its_own_package() {
        let s = Sdks::builtin();
        assert_eq!(
            s.by_process("com.x", "com.x:pushcore", None)
                .map(|x| x.id.as_str()),
            Some("jpush")
        );
        assert!(s.by_process("com.x", "com.y:pushcore", None).is_none());
        assert!(s.by_process("com.x", "com.xy:pushcore", None).is_none());
        assert!(s.by_process("com.x", "com.x", None).is_none());
        assert!(s.by_process("com.x", "com.x", Some("")).is_none());
        assert!(s.by_process("com.x", "com.x:pushcorex", None).is_none());
        assert_eq!(
            s.by_process("com.x", "com.x:bdservice_v1", None)
                .map(|x| x.id.as_str()),
            Some("baidu-push")
        );
    }

    #[test]
    fn a_component_names_its_sdk_and_wins_over_the_suffix() {
        let s = Sdks::builtin();
        let id = |p: &str, c: &str| s.by_process("com.x", p, Some(c)).map(|x| x.id.clone());
        assert_eq!(
            id("com.x:pushservice", "com.x/com.igexin.sdk.PushService").as_deref(),
            Some("getui")
        );
        assert_eq!(
            id(
                "com.x:pushservice",
                "com.x/com.xiaomi.push.service.XMPushService"
            )
            .as_deref(),
            Some("xiaomi-mipush")
        );
        assert_eq!(
            id("com.x:pushservice", "com.x/.MyPushService"),
            None,
            "the shared suffix names nobody"
        );
        assert_eq!(
            id(
                "com.x:channel",
                "com.x/com.alibaba.sdk.android.push.ChannelService"
            )
            .as_deref(),
            Some("aliyun-push")
        );
        assert_eq!(
            id("com.x:channel", "com.x/com.taobao.accs.ChannelService").as_deref(),
            Some("alibaba-accs")
        );
        assert_eq!(
            id("com.x:channel", "com.x/.Own").as_deref(),
            Some("alibaba-accs")
        );
        // JCore 2+: the app's own JCommonService subclass runs in :pushcore.
        assert_eq!(
            id("com.x:pushcore", "com.x/com.x.push.PushService").as_deref(),
            Some("jpush")
        );
        // The main process started for an SDK's receiver.
        assert_eq!(
            id(
                "com.x",
                "com.x/com.google.firebase.iid.FirebaseInstanceIdReceiver"
            )
            .as_deref(),
            Some("firebase")
        );
        // A component of another package, or in the app's own package.
        assert_eq!(
            id("com.x", "com.y/cn.jpush.android.service.PushService"),
            None
        );
        let t = Sdks::builtin();
        assert!(
            t.by_process(
                "com.tencent.bugly.demo",
                "com.tencent.bugly.demo",
                Some("com.tencent.bugly.demo/com.tencent.bugly.demo.Main")
            )
            .is_none()
        );
        assert_eq!(
            t.by_process(
                "com.x",
                "com.x",
                Some("{com.x/com.facebook.FacebookActivity}")
            )
            .map(|x| x.id.as_str()),
            Some("facebook")
        );
        assert!(
            t.by_process(
                "com.x",
                "com.x",
                Some("com.x/com.facebook.react.ReactActivity")
            )
            .is_none()
        );
    }

    #[test]
    fn tags_match_exactly() {
        let s = Sdks::builtin();
        assert_eq!(
            s.by_tag("JIGUANG-JCore").map(|x| x.id.as_str()),
            Some("jpush")
        );
        assert_eq!(
            s.by_tag("UMConfigure").map(|x| x.id.as_str()),
            Some("umeng")
        );
        assert_eq!(s.by_tag("FA").map(|x| x.id.as_str()), Some("firebase"));
        assert!(s.by_tag("jiguang-jcore").is_none());
        assert!(s.by_tag("ADJUST").is_none());
        assert!(s.by_tag("ActivityManager").is_none());
    }

    const ONE: &str = "kind: sdks
version: 1
sdks:
  - id: acme-push
    name: Acme Push
    vendor: Acme
    kind: push
    process_suffixes: [\":acmepush\"]
    component_prefixes: [com.acme.push.]
    log_tags: [AcmePush]
    sources: [https://acme.example/docs]
";

    #[test]
    fn bad_files_are_named_with_their_line_and_key() {
        let origin = "mine.yaml";
        let e = |text: &str| Sdks::from_yaml(text, origin).unwrap_err().to_string();
        let m = e(&ONE.replace("    vendor:", "    vendr:"));
        assert!(m.starts_with("mine.yaml:6:") && m.contains("vendr"), "{m}");
        let m = e(&ONE.replace("kind: push", "kind: spyware"));
        assert!(
            m.starts_with("mine.yaml:7:") && m.contains("sdks[0].kind"),
            "{m}"
        );
        let m = e(&ONE.replace("[\":acmepush\"]", "[\":push\"]"));
        assert!(
            m.starts_with("mine.yaml:8:24: sdks[0].process_suffixes[0]:"),
            "{m}"
        );
        assert!(m.contains("too generic"), "{m}");
        let m = e(&ONE.replace("    sources: [https://acme.example/docs]\n", ""));
        assert!(
            m.contains("sdks[0].sources") && m.contains("no sources"),
            "{m}"
        );
        let m = e(&ONE.replace("[AcmePush]", "[Sdk]"));
        assert!(
            m.starts_with("mine.yaml:10:16: sdks[0].log_tags[0]:"),
            "{m}"
        );
    }

    #[test]
    fn a_claim_made_twice_is_refused_at_the_user_s_line() {
        let text = ONE.replace("[AcmePush]", "[AcmePush, JIGUANG-JPush]");
        let m = Sdks::with_text(&text, "mine.yaml").unwrap_err().to_string();
        assert!(
            m.starts_with("mine.yaml:10:26: sdks[0].log_tags[1]:"),
            "{m}"
        );
        assert!(m.contains("jpush"), "{m}");
        let m = Sdks::with_text(&ONE.replace("com.acme.push.", "cn.jiguang."), "mine.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            m.contains("sdks[0].component_prefixes[0]") && m.contains("jpush"),
            "{m}"
        );
        let twice = ONE.to_string() + &ONE.replace("kind: sdks\nversion: 1\nsdks:\n", "");
        let m = Sdks::with_text(&twice, "mine.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            m.starts_with("mine.yaml:12:5: sdks[1].id: `acme-push` is given twice"),
            "{m}"
        );
    }

    #[test]
    fn a_user_file_adds_and_replaces_sdks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sdks.yaml");
        let text = ONE.to_string()
            + "  - id: adjust
    name: Adjust (renamed)
    vendor: Adjust
    kind: attribution
    component_prefixes: [com.adjust.sdk.]
    sources: [https://dev.adjust.com/]
";
        std::fs::write(&path, text).unwrap();
        let s = Sdks::with_file(&path).unwrap();
        assert_eq!(s.all().len(), Sdks::builtin().all().len() + 1);
        assert_eq!(
            s.by_tag("AcmePush").map(|x| x.id.as_str()),
            Some("acme-push")
        );
        assert_eq!(
            s.by_process("com.x", "com.x:acmepush", None)
                .map(|x| x.name.as_str()),
            Some("Acme Push")
        );
        assert!(s.by_tag("Adjust").is_none(), "the replacement has no tags");
        assert_eq!(
            s.by_process(
                "com.x",
                "com.x",
                Some("com.x/com.adjust.sdk.AdjustReferrerReceiver")
            )
            .map(|x| x.name.as_str()),
            Some("Adjust (renamed)")
        );
        let e = Sdks::with_file(Path::new("/nonexistent/sdks.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/nonexistent/sdks.yaml: the SDK file cannot be read"),
            "{e}"
        );
    }

    #[test]
    fn the_doc_lists_every_sdk() {
        let doc = include_str!("../../docs/sdks.md");
        for s in Sdks::builtin().all() {
            assert!(
                doc.contains(&format!("`{}`", s.id)),
                "docs/sdks.md lacks `{}`",
                s.id
            );
        }
    }
}
