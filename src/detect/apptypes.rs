//! The app-type table: the 39 common app types of the 2021 rules on
//! necessary personal information (《常见类型移动互联网应用程序必要个人信息范围规定》,
//! Article 5), each with its basic function service and necessary personal
//! information, and the tool's reading of which runtime-permission groups
//! the necessary information needs and which ones features of the type
//! plausibly use. Loaded from `scenarios/builtin/app-types.yaml` (embedded)
//! and an optional user file that adds or replaces types by id
//! ([`AppTypes::with_file`]); looked up by id, alias or name
//! ([`AppTypes::get`]). Format and table: `docs/app-types.md`.
//!
//! Also the data-file plumbing the SDK list (`sdks.rs`) shares: the serde
//! error with its line, column and key path, the `kind`/`version` header
//! check, and an index of where each key of a YAML text starts, so that a
//! semantic problem (a duplicate id, an unknown group) is reported at its
//! line too. Pure: the only I/O is reading the user's file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::datafile::{Positions, Problem, check_header, parse, unique_ids};

/// The built-in app-type table, embedded at build time.
pub const BUILTIN: &str = include_str!("../../scenarios/builtin/app-types.yaml");

/// The name the built-in table goes by in errors.
const BUILTIN_ORIGIN: &str = "scenarios/builtin/app-types.yaml";

/// The runtime-permission groups a table may name (AOSP platform groups,
/// as the rest of the tool names them).
pub const PERMISSION_GROUPS: &[&str] = &[
    "LOCATION",
    "CAMERA",
    "MICROPHONE",
    "CONTACTS",
    "STORAGE",
    "READ_MEDIA_VISUAL",
    "READ_MEDIA_AURAL",
    "PHONE",
    "CALL_LOG",
    "SMS",
    "CALENDAR",
    "SENSORS",
    "ACTIVITY_RECOGNITION",
    "NOTIFICATIONS",
    "NEARBY_DEVICES",
];

/// One app type of the rules (or of a user's file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppType {
    /// Stable kebab-case id (`map-navigation`).
    pub id: String,
    /// The item's number in Article 5 (1-39); 0 for a type of a user's own.
    pub number: u32,
    /// The rules' name (`地图导航类`).
    pub name_zh: String,
    pub name_en: String,
    /// The basic function service, as the rules word it.
    pub basic_function_zh: String,
    pub basic_function_en: String,
    /// The necessary personal information, one entry per item of the rule;
    /// empty when the type needs none.
    #[serde(default)]
    pub necessary_pi_zh: Vec<String>,
    #[serde(default)]
    pub necessary_pi_en: Vec<String>,
    /// Permission groups the necessary information cannot be collected
    /// without (the tool's reading, not text of the rules).
    #[serde(default)]
    pub necessary_permissions: Vec<String>,
    /// Permission groups features of the type plausibly use beyond the basic
    /// function (the tool's heuristic: outside these, a request is only of
    /// low relevance, never a violation).
    #[serde(default)]
    pub relevant_permissions: Vec<String>,
    /// Other names `get` accepts (`maps`, `导航`).
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl AppType {
    /// Whether the rules name any personal information as necessary for the
    /// type's basic function (13 types need none).
    pub fn needs_pi(&self) -> bool {
        !self.necessary_pi_zh.is_empty() || !self.necessary_pi_en.is_empty()
    }

    /// Whether the necessary information needs the permission group.
    pub fn necessary(&self, group: &str) -> bool {
        self.necessary_permissions
            .iter()
            .any(|g| g.eq_ignore_ascii_case(group))
    }

    /// Whether the group is necessary or plausibly used by the type's
    /// features.
    pub fn relevant(&self, group: &str) -> bool {
        self.necessary(group)
            || self
                .relevant_permissions
                .iter()
                .any(|g| g.eq_ignore_ascii_case(group))
    }
}

/// The rules the table comes from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title_zh: String,
    pub title_en: String,
    /// Date of issue (`2021-03-12`).
    pub issued: String,
    /// In force from (`2021-05-01`).
    pub in_force: String,
    pub issuers: Vec<String>,
    /// The document number (`国信办秘字〔2021〕14号`).
    pub document: String,
    /// Where the text is published.
    #[serde(default)]
    pub url: String,
}

/// Why an app-type file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AppTypesError {
    #[error("{}: the app-type file cannot be read: {source}", path.display())]
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
    source: Option<Source>,
    #[serde(default)]
    types: Vec<AppType>,
}

/// The loaded table, ready for lookups.
#[derive(Debug, Clone, Default)]
pub struct AppTypes {
    types: Vec<AppType>,
    source: Source,
    /// Normalised id, alias and names → index in `types`.
    index: HashMap<String, usize>,
}

impl AppTypes {
    /// The built-in table. It is checked by this module's tests; should it
    /// ever fail to parse, the table is empty and every app is of unknown
    /// type (the rules that need a type say so).
    pub fn builtin() -> Self {
        static BUILT: OnceLock<AppTypes> = OnceLock::new();
        BUILT
            .get_or_init(|| Self::from_yaml(BUILTIN, BUILTIN_ORIGIN).unwrap_or_default())
            .clone()
    }

    /// A table from YAML text alone; `origin` names the text in errors.
    /// Unknown keys, unknown permission groups, duplicate ids, numbers,
    /// aliases or names are errors with their line, column and key.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, AppTypesError> {
        let (raw, at) = load(text, origin)?;
        let origins: Vec<Option<usize>> = (0..raw.types.len()).map(Some).collect();
        assemble(raw.types, raw.source.unwrap_or_default(), &origins, &at)
            .map_err(|p| invalid(origin, p))
    }

    /// The built-in table with the types of the file at `path`: a type with
    /// a built-in id replaces that type, others are added. The file's
    /// `source`, when given, replaces the built-in one.
    pub fn with_file(path: &Path) -> Result<Self, AppTypesError> {
        let text = std::fs::read_to_string(path).map_err(|source| AppTypesError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::with_text(&text, &path.display().to_string())
    }

    /// [`AppTypes::with_file`] on text already read; `origin` names it in
    /// errors.
    pub fn with_text(text: &str, origin: &str) -> Result<Self, AppTypesError> {
        let (raw, at) = load(text, origin)?;
        let base = Self::builtin();
        let mut types = base.types;
        let mut origins: Vec<Option<usize>> = vec![None; types.len()];
        for (i, t) in raw.types.into_iter().enumerate() {
            if let Some(slot) = types.iter().position(|b| b.id == t.id) {
                types[slot] = t;
                origins[slot] = Some(i);
            } else {
                types.push(t);
                origins.push(Some(i));
            }
        }
        let source = raw.source.unwrap_or(base.source);
        assemble(types, source, &origins, &at).map_err(|p| invalid(origin, p))
    }

    /// The type `name` names: its id, an alias, its English name or its
    /// Chinese name with or without the trailing `类`; ASCII case, spaces
    /// and underscores do not matter (`Map Navigation`, `map_navigation`).
    pub fn get(&self, name: &str) -> Option<&AppType> {
        self.index.get(&normalise(name)).map(|&i| &self.types[i])
    }

    /// Every type, in the table's order.
    pub fn all(&self) -> &[AppType] {
        &self.types
    }

    /// The rules the table comes from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The id of the type whose id, alias or name is nearest to `name`, for
    /// a "did you mean" hint; `None` when nothing is close.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        let wanted = normalise(name);
        if wanted.is_empty() {
            return None;
        }
        let limit = (wanted.chars().count() / 3).max(1);
        let (_, distance, i) = self
            .index
            .iter()
            .map(|(key, &i)| (key, strsim::damerau_levenshtein(&wanted, key), i))
            .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(b.0)))?;
        (distance <= limit).then(|| self.types[i].id.as_str())
    }
}

/// Parses and checks the header; the positions serve later checks.
fn load(text: &str, origin: &str) -> Result<(RawFile, Positions), AppTypesError> {
    let at = Positions::of(text);
    let raw: RawFile = parse(text, &at).map_err(|p| invalid(origin, p))?;
    check_header(
        raw.kind.as_deref(),
        raw.version,
        "app-types",
        "an app-type file",
        &at,
    )
    .map_err(|p| invalid(origin, p))?;
    let ids: Vec<&str> = raw.types.iter().map(|t| t.id.as_str()).collect();
    unique_ids(&ids, "types", &at).map_err(|p| invalid(origin, p))?;
    Ok((raw, at))
}

fn invalid(origin: &str, p: Problem) -> AppTypesError {
    AppTypesError::Invalid {
        origin: origin.to_string(),
        line: p.line,
        column: p.column,
        key: p.key,
        message: p.message,
    }
}

/// Checks every type and builds the index. `origins[i]` is the position of
/// type `i` in the file being loaded (`None` for a built-in type), which is
/// where a problem is reported.
fn assemble(
    types: Vec<AppType>,
    source: Source,
    origins: &[Option<usize>],
    at: &Positions,
) -> Result<AppTypes, Problem> {
    let key = |i: usize, field: &str| format!("types[{}].{field}", origins[i].unwrap_or(i));
    for (i, t) in types.iter().enumerate() {
        if origins[i].is_some() {
            check_type(t, &|field| key(i, field), at)?;
        }
    }
    let mut numbers: HashMap<u32, usize> = HashMap::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, t) in types.iter().enumerate() {
        if t.number != 0 {
            if let Some(&j) = numbers.get(&t.number) {
                let (mine, other) = blame(i, j, origins);
                return Err(at.problem(
                    &key(mine, "number"),
                    format!(
                        "number {} is already the number of `{}`; each item of Article 5 is one type (use 0 for a type of your own)",
                        t.number, types[other].id
                    ),
                ));
            }
            numbers.insert(t.number, i);
        }
        for (field, name) in lookup_keys(t) {
            match index.get(&name) {
                Some(&j) if j != i => {
                    let (mine, other) = blame(i, j, origins);
                    let field = if mine == i {
                        field
                    } else {
                        lookup_keys(&types[mine])
                            .into_iter()
                            .find(|(_, n)| *n == name)
                            .map_or_else(|| "id".to_string(), |(f, _)| f)
                    };
                    return Err(at.problem(
                        &key(mine, &field),
                        format!(
                            "`{name}` already names the type `{}`; ids, aliases and names must each name one type",
                            types[other].id
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    index.insert(name, i);
                }
            }
        }
    }
    Ok(AppTypes {
        types,
        source,
        index,
    })
}

/// Of two clashing types, the one to report (the one from the file being
/// loaded, the later one if both are) and the other.
fn blame(later: usize, earlier: usize, origins: &[Option<usize>]) -> (usize, usize) {
    if origins[later].is_none() && origins[earlier].is_some() {
        (earlier, later)
    } else {
        (later, earlier)
    }
}

/// The checks of one type on its own.
fn check_type(t: &AppType, key: &dyn Fn(&str) -> String, at: &Positions) -> Result<(), Problem> {
    if !is_kebab(&t.id) {
        return Err(at.problem(
            &key("id"),
            format!(
                "`{}` is not a kebab-case id (lower-case letters, digits and single hyphens, like `map-navigation`)",
                t.id
            ),
        ));
    }
    for (field, value) in [
        ("name_zh", &t.name_zh),
        ("name_en", &t.name_en),
        ("basic_function_zh", &t.basic_function_zh),
        ("basic_function_en", &t.basic_function_en),
    ] {
        if value.trim().is_empty() {
            return Err(at.problem(&key(field), format!("`{}` has an empty {field}", t.id)));
        }
    }
    if t.necessary_pi_zh.len() != t.necessary_pi_en.len() {
        return Err(at.problem(
            &key("necessary_pi_en"),
            format!(
                "`{}` lists {} necessary items in Chinese and {} in English; give one translation per item",
                t.id,
                t.necessary_pi_zh.len(),
                t.necessary_pi_en.len()
            ),
        ));
    }
    for (field, groups) in [
        ("necessary_permissions", &t.necessary_permissions),
        ("relevant_permissions", &t.relevant_permissions),
    ] {
        for (j, g) in groups.iter().enumerate() {
            if !PERMISSION_GROUPS.contains(&g.as_str()) {
                return Err(at.problem(
                    &key(&format!("{field}[{j}]")),
                    format!(
                        "`{g}` is not a permission group; use one of {}",
                        PERMISSION_GROUPS.join(", ")
                    ),
                ));
            }
        }
    }
    for (j, a) in t.aliases.iter().enumerate() {
        if normalise(a).is_empty() {
            return Err(at.problem(
                &key(&format!("aliases[{j}]")),
                format!("`{}` has an empty alias", t.id),
            ));
        }
    }
    Ok(())
}

/// The names a type is looked up by, normalised, with the field each comes
/// from.
fn lookup_keys(t: &AppType) -> Vec<(String, String)> {
    let mut keys = vec![
        ("id".to_string(), normalise(&t.id)),
        ("name_en".to_string(), normalise(&t.name_en)),
        ("name_zh".to_string(), normalise(&t.name_zh)),
    ];
    keys.extend(
        t.aliases
            .iter()
            .enumerate()
            .map(|(j, a)| (format!("aliases[{j}]"), normalise(a))),
    );
    keys.retain(|(_, k)| !k.is_empty());
    keys
}

/// A name as compared: trimmed, ASCII lower case, spaces and underscores
/// as hyphens, without a trailing `类`.
fn normalise(name: &str) -> String {
    let s: String = name
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '_' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    match s.strip_suffix('类') {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => s,
    }
}

/// `map-navigation`: lower-case letters and digits in words joined by
/// single hyphens.
pub(crate) fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The thirteen types the domain page (and the rules) name as needing no
    /// personal information.
    const NO_PI: [&str; 13] = [
        "女性健康类",
        "网络直播类",
        "在线影音类",
        "短视频类",
        "新闻资讯类",
        "运动健身类",
        "浏览器类",
        "输入法类",
        "安全管理类",
        "电子图书类",
        "拍摄美化类",
        "应用商店类",
        "实用工具类",
    ];

    #[test]
    fn the_builtin_table_parses() {
        let t = AppTypes::from_yaml(BUILTIN, BUILTIN_ORIGIN);
        assert!(
            t.is_ok(),
            "{}",
            t.err().map(|e| e.to_string()).unwrap_or_default()
        );
        assert_eq!(AppTypes::builtin().all().len(), 39);
    }

    #[test]
    fn the_builtin_has_39_types_numbered_1_to_39() {
        let t = AppTypes::builtin();
        let numbers: Vec<u32> = t.all().iter().map(|a| a.number).collect();
        assert_eq!(numbers, (1..=39).collect::<Vec<u32>>());
        let s = t.source();
        assert_eq!(s.issued, "2021-03-12");
        assert_eq!(s.in_force, "2021-05-01");
        assert_eq!(s.document, "国信办秘字〔2021〕14号");
        assert_eq!(s.issuers.len(), 4);
    }

    #[test]
    fn exactly_the_thirteen_types_of_the_domain_page_need_no_pi() {
        let t = AppTypes::builtin();
        let mut none: Vec<&str> = t
            .all()
            .iter()
            .filter(|a| !a.needs_pi())
            .map(|a| a.name_zh.as_str())
            .collect();
        none.sort_unstable();
        let mut want = NO_PI.to_vec();
        want.sort_unstable();
        assert_eq!(none, want);
        for a in t.all().iter().filter(|a| !a.needs_pi()) {
            assert!(a.necessary_permissions.is_empty(), "{}", a.id);
        }
    }

    #[test]
    fn every_permission_group_is_known_and_translations_pair_up() {
        for a in AppTypes::builtin().all() {
            for g in a
                .necessary_permissions
                .iter()
                .chain(&a.relevant_permissions)
            {
                assert!(PERMISSION_GROUPS.contains(&g.as_str()), "{}: {g}", a.id);
            }
            assert_eq!(a.necessary_pi_zh.len(), a.necessary_pi_en.len(), "{}", a.id);
            assert!(a.relevant("NOTIFICATIONS"), "{}", a.id);
        }
    }

    #[test]
    fn types_are_found_by_id_alias_and_either_name() {
        let t = AppTypes::builtin();
        for name in [
            "map-navigation",
            "maps",
            "navigation",
            "地图导航类",
            "地图导航",
            " 地图导航类 ",
            "MAP-NAVIGATION",
            "Map Navigation",
            "map_navigation",
        ] {
            assert_eq!(
                t.get(name).map(|a| a.id.as_str()),
                Some("map-navigation"),
                "{name}"
            );
        }
        assert_eq!(t.get("实用工具").map(|a| a.number), Some(38));
        assert_eq!(
            t.get("即时通信类").map(|a| a.id.as_str()),
            Some("instant-messaging")
        );
        assert_eq!(
            t.get("IM").map(|a| a.id.as_str()),
            Some("instant-messaging")
        );
        assert!(t.get("unknown").is_none());
        assert!(t.get("类").is_none());
        assert!(t.get("").is_none());
    }

    #[test]
    fn the_permission_readings_answer_as_written() {
        let t = AppTypes::builtin();
        let map = t.get("map-navigation").unwrap();
        assert!(map.needs_pi() && map.necessary("LOCATION") && map.necessary("location"));
        assert!(map.relevant("MICROPHONE") && !map.necessary("MICROPHONE"));
        assert!(!map.relevant("CONTACTS"));
        let tools = t.get("utilities").unwrap();
        assert!(!tools.needs_pi());
        for g in [
            "CAMERA",
            "LOCATION",
            "MICROPHONE",
            "STORAGE",
            "CALENDAR",
            "NEARBY_DEVICES",
        ] {
            assert!(tools.relevant(g), "{g}");
        }
        for g in ["CONTACTS", "CALL_LOG", "SMS", "PHONE"] {
            assert!(!tools.relevant(g), "{g}");
        }
        let im = t.get("instant-messaging").unwrap();
        assert!(im.needs_pi() && im.necessary_permissions.is_empty());
    }

    #[test]
    fn near_misses_get_a_suggestion() {
        let t = AppTypes::builtin();
        assert_eq!(t.suggest("map-navigaton"), Some("map-navigation"));
        assert_eq!(t.suggest("naviagtion"), Some("map-navigation"));
        assert_eq!(t.suggest("地图导行"), Some("map-navigation"));
        assert_eq!(t.suggest("utilites"), Some("utilities"));
        assert_eq!(t.suggest("zzzzzzzzzz"), None);
        assert_eq!(t.suggest(""), None);
    }

    const ONE: &str = "kind: app-types
version: 1
types:
  - id: smart-watch
    number: 0
    name_zh: 智能手表类
    name_en: smart watch
    basic_function_zh: 手表伴侣
    basic_function_en: watch companion
    necessary_permissions: [NEARBY_DEVICES]
    relevant_permissions: [GPS]
";

    #[test]
    fn an_unknown_group_is_named_with_its_line_and_key() {
        let e = AppTypes::from_yaml(ONE, "mine.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("mine.yaml:11:28: types[0].relevant_permissions[0]: `GPS`"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let text = ONE.replace("    number: 0\n", "    numbr: 0\n");
        let e = AppTypes::from_yaml(&text, "mine.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("mine.yaml:5:"), "{e}");
        assert!(e.contains("types[0]") && e.contains("numbr"), "{e}");
        let e = AppTypes::from_yaml("kind: app-types\ntipes: []\n", "mine.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("mine.yaml:2:") && e.contains("tipes"), "{e}");
    }

    #[test]
    fn a_duplicate_id_is_named_at_the_second() {
        let fixed = ONE.replace("[GPS]", "[LOCATION]");
        let again = fixed.replace("kind: app-types\nversion: 1\ntypes:\n", "");
        let text = format!("{fixed}{again}");
        let e = AppTypes::from_yaml(&text, "mine.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "mine.yaml:12:5: types[1].id: `smart-watch` is given twice (first on line 4)"
            ),
            "{e}"
        );
        let e = AppTypes::with_text(&text, "mine.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("mine.yaml:12:5: types[1].id:"),
            "in a user file too: {e}"
        );
    }

    #[test]
    fn a_wrong_kind_or_version_is_refused() {
        let e = AppTypes::from_yaml("kind: sdks\ntypes: []\n", "mine.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("mine.yaml:1:1: kind:"), "{e}");
        let e = AppTypes::from_yaml("kind: app-types\nversion: 2\n", "mine.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("mine.yaml:2:1: version:"), "{e}");
    }

    #[test]
    fn a_user_file_adds_and_overrides_types() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("types.yaml");
        let text = ONE.replace("[GPS]", "[LOCATION]")
            + "  - id: map-navigation
    number: 1
    name_zh: 地图导航类
    name_en: map navigation
    basic_function_zh: 定位和导航
    basic_function_en: positioning and navigation
    necessary_pi_zh: [位置信息]
    necessary_pi_en: [location]
    necessary_permissions: [LOCATION]
    relevant_permissions: [CAMERA]
    aliases: [maps]
";
        std::fs::write(&path, text).unwrap();
        let t = AppTypes::with_file(&path).unwrap();
        assert_eq!(t.all().len(), 40);
        let map = t.get("maps").unwrap();
        assert!(map.relevant("CAMERA") && !map.relevant("MICROPHONE"));
        assert_eq!(
            t.all()[0].id,
            "map-navigation",
            "an override keeps its place"
        );
        assert!(
            t.get("navigation").is_none(),
            "the override's aliases replace the old"
        );
        assert_eq!(
            t.get("智能手表").map(|a| a.id.as_str()),
            Some("smart-watch")
        );
        assert_eq!(t.source(), AppTypes::builtin().source());
    }

    #[test]
    fn a_user_file_that_clashes_with_the_builtin_is_named_at_its_line() {
        let text = ONE.replace("[GPS]", "[LOCATION]") + "    aliases: [wearable, maps]\n";
        let e = AppTypes::with_text(&text, "mine.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("mine.yaml:12:25: types[0].aliases[1]:"),
            "{e}"
        );
        assert!(e.contains("map-navigation"), "{e}");
        let text = ONE
            .replace("[GPS]", "[LOCATION]")
            .replace("number: 0", "number: 7");
        let e = AppTypes::with_text(&text, "mine.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("mine.yaml:5:5: types[0].number:"), "{e}");
        let e = AppTypes::with_file(Path::new("/nonexistent/types.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/nonexistent/types.yaml: the app-type file cannot be read"),
            "{e}"
        );
    }

    #[test]
    fn the_doc_lists_every_type() {
        let doc = include_str!("../../docs/app-types.md");
        for a in AppTypes::builtin().all() {
            assert!(
                doc.contains(&format!("`{}`", a.id)),
                "docs/app-types.md lacks `{}`",
                a.id
            );
            assert!(
                doc.contains(&a.name_zh),
                "docs/app-types.md lacks {}",
                a.name_zh
            );
        }
    }
}
