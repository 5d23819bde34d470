//! The app list of a batch (`apps.yaml`, or `apps.txt` with one package per
//! line): parsing, checking and its JSON Schema (`schemas/apps.schema.json`,
//! docs/batch.md). Pure: text in, apps or a located problem out; whether
//! APK files and credential variables exist is checked by [`App::check`]
//! against what the caller gives it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::datafile::{Positions, Problem, check_header, parse};
use crate::scenario::values::is_package_name;

/// The file as written.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "consentry app list")]
pub struct RawAppList {
    /// `app-list`.
    #[serde(default)]
    pub kind: Option<String>,
    /// 1.
    #[serde(default)]
    pub version: Option<u32>,
    /// What every app has unless it says otherwise.
    #[serde(default)]
    pub defaults: Option<RawDefaults>,
    pub apps: Vec<RawApp>,
}

/// Fields shared by every app of the list.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    #[serde(default)]
    pub app_type: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// The list as read: each app is deserialised on its own, so that a
/// problem in one names its own key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListDe {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    defaults: Option<RawDefaults>,
    apps: Vec<serde_yaml::Value>,
}

/// One app: a package name, or a map (the schema's view; the parser
/// takes the two forms apart by the kind of node).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawApp {
    /// A package installed on the devices.
    Package(String),
    Full(RawAppEntry),
}

/// One app with its fields. Those it shares with [`RawDefaults`] are
/// repeated rather than `#[serde(flatten)]`ed in: serde does not apply
/// `deny_unknown_fields` through a flatten, and a misspelt key must be an
/// error.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAppEntry {
    /// The package name (with `apk`: the package the APK installs, when
    /// known; otherwise it is read from the device after installing).
    #[serde(default)]
    pub package: Option<String>,
    /// An APK, relative to the list file: installed afresh before the
    /// app's first run on a device.
    #[serde(default)]
    pub apk: Option<PathBuf>,
    /// The app type's id (docs/app-types.md).
    #[serde(default)]
    pub app_type: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Scenario variable → the controller's environment variable that
    /// holds its value (`SECRET_PASSWORD: NIGHTLY_SHOP_PASSWORD`). Values
    /// are read when the batch starts and are always secret: they are
    /// never written in clear to evidence or reports.
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
    /// Extra scenario variables (`${KEY}`), in clear.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// A checked app of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Known for every app named by package; for an APK without
    /// `package`, empty until installed.
    pub package: String,
    pub apk: Option<PathBuf>,
    pub app_type: Option<String>,
    pub tags: Vec<String>,
    /// Scenario variable → environment variable.
    pub credentials: BTreeMap<String, String>,
    pub env: BTreeMap<String, String>,
    /// The line in the list file.
    pub line: usize,
}

impl App {
    /// The name the batch knows the app by: its package, or the APK's
    /// file stem when the package is only known after installing.
    pub fn key(&self) -> String {
        if !self.package.is_empty() {
            return self.package.clone();
        }
        self.apk
            .as_ref()
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// A bad app list: the file, line, column and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {key}: {message}", .file.display())]
pub struct AppListError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub key: String,
    pub message: String,
}

impl AppListError {
    fn at(file: &Path, p: Problem) -> Self {
        Self {
            file: file.to_path_buf(),
            line: p.line,
            column: p.column,
            key: p.key,
            message: p.message,
        }
    }
}

/// Reads a list: YAML (`.yaml`, `.yml`, or anything that starts like a
/// YAML map) or plain text, one package per line (`#` starts a comment).
pub fn parse_list(text: &str, file: &Path) -> Result<Vec<App>, AppListError> {
    let yaml = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if yaml {
        parse_yaml(text, file)
    } else {
        parse_text(text, file)
    }
}

fn parse_text(text: &str, file: &Path) -> Result<Vec<App>, AppListError> {
    let mut apps: Vec<App> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.split('#').next().unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        let bad = |message: String| AppListError {
            file: file.to_path_buf(),
            line,
            column: 1,
            key: format!("line {line}"),
            message,
        };
        if !is_package_name(l) {
            return Err(bad(format!(
                "`{}` is not a package name (one package per line, like com.example.app)",
                crate::screen::clean(l)
            )));
        }
        if let Some(first) = seen.insert(l.to_string(), line) {
            return Err(bad(format!("{l} is listed already, on line {first}")));
        }
        apps.push(App {
            package: l.to_string(),
            apk: None,
            app_type: None,
            tags: Vec::new(),
            credentials: BTreeMap::new(),
            env: BTreeMap::new(),
            line,
        });
    }
    if apps.is_empty() {
        return Err(AppListError {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            key: "(top level)".into(),
            message: "the list names no app".into(),
        });
    }
    Ok(apps)
}

/// A scenario or environment variable name: letters, digits and `_`,
/// not starting with a digit.
fn is_var_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

fn parse_yaml(text: &str, file: &Path) -> Result<Vec<App>, AppListError> {
    let at = Positions::of(text);
    let err = |key: &str, message: String| AppListError::at(file, at.problem(key, message));
    let raw: ListDe = parse(text, &at).map_err(|p| AppListError::at(file, p))?;
    check_header(
        raw.kind.as_deref(),
        raw.version,
        "app-list",
        "an app list",
        &at,
    )
    .map_err(|p| AppListError::at(file, p))?;
    let defaults = raw.defaults.unwrap_or_default();
    let check_vars = |map: &BTreeMap<String, String>, key: &str, values: bool| {
        for (k, v) in map {
            if !is_var_name(k) {
                return Err(err(
                    &format!("{key}.{k}"),
                    format!("`{k}` is not a variable name (letters, digits, _)"),
                ));
            }
            if values && !is_var_name(v) {
                return Err(err(
                    &format!("{key}.{k}"),
                    "the value is not the name of an environment variable (letters, \
                     digits, _): credentials name the variable that holds the secret, \
                     never the secret itself"
                        .to_string(),
                ));
            }
        }
        Ok(())
    };
    check_vars(&defaults.credentials, "defaults.credentials", true)?;
    check_vars(&defaults.env, "defaults.env", false)?;
    if raw.apps.is_empty() {
        return Err(err("apps", "the list names no app".into()));
    }
    let mut apps = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, a) in raw.apps.into_iter().enumerate() {
        let key = format!("apps[{i}]");
        let line = at.find(&key).0;
        let full = a.is_mapping();
        let e = match a {
            serde_yaml::Value::String(p) => RawAppEntry {
                package: Some(p),
                apk: None,
                app_type: None,
                tags: Vec::new(),
                credentials: BTreeMap::new(),
                env: BTreeMap::new(),
            },
            v @ serde_yaml::Value::Mapping(_) => {
                serde_path_to_error::deserialize::<_, RawAppEntry>(v).map_err(|e| {
                    let sub = e.path().to_string();
                    let k = if sub == "." {
                        key.clone()
                    } else {
                        format!("{key}.{sub}")
                    };
                    err(&k, e.into_inner().to_string())
                })?
            }
            _ => {
                return Err(err(
                    &key,
                    "an app is a package name or a map with `package` or `apk`".into(),
                ));
            }
        };
        if e.package.is_none() && e.apk.is_none() {
            return Err(err(&key, "an app needs `package` or `apk`".into()));
        }
        let package = e.package.unwrap_or_default();
        if !package.is_empty() && !is_package_name(&package) {
            let k = if full {
                format!("{key}.package")
            } else {
                key.clone()
            };
            return Err(err(
                &k,
                format!(
                    "`{}` is not a package name (like com.example.app)",
                    crate::screen::clean(&package)
                ),
            ));
        }
        if let Some(apk) = &e.apk {
            let ok = apk
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("apk"));
            if !ok {
                return Err(err(
                    &format!("{key}.apk"),
                    format!("`{}` is not an .apk file", apk.display()),
                ));
            }
        }
        check_vars(&e.credentials, &format!("{key}.credentials"), true)?;
        check_vars(&e.env, &format!("{key}.env"), false)?;
        let mut credentials = defaults.credentials.clone();
        credentials.extend(e.credentials);
        let mut env = defaults.env.clone();
        env.extend(e.env);
        let mut tags = defaults.tags.clone();
        for t in e.tags {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let app = App {
            package,
            apk: e.apk.map(|p| match file.parent() {
                Some(dir) if p.is_relative() => dir.join(p),
                _ => p,
            }),
            app_type: e.app_type.or_else(|| defaults.app_type.clone()),
            tags,
            credentials,
            env,
            line,
        };
        let name = app.key();
        if let Some(first) = seen.insert(name.clone(), line) {
            return Err(err(
                &key,
                format!("{name} is listed already, on line {first}"),
            ));
        }
        apps.push(app);
    }
    Ok(apps)
}

/// What [`check`] needs from outside the list.
pub struct Checks<'a> {
    /// Whether an app type id is known (with a suggestion when not).
    pub app_type: &'a dyn Fn(&str) -> Result<(), String>,
    /// The controller's environment.
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Checks the parts of a list that depend on the machine: APK files
/// exist, app types are known, credential variables are set. Returns the
/// credentials' values by app key.
pub fn check(
    apps: &[App],
    file: &Path,
    checks: &Checks<'_>,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, AppListError> {
    let bad = |a: &App, key: &str, message: String| AppListError {
        file: file.to_path_buf(),
        line: a.line,
        column: 1,
        key: key.to_string(),
        message,
    };
    let mut secrets = BTreeMap::new();
    for a in apps {
        if let Some(apk) = &a.apk {
            if !apk.is_file() {
                return Err(bad(
                    a,
                    "apk",
                    format!("{} does not exist or is not a file", apk.display()),
                ));
            }
        }
        if let Some(t) = &a.app_type {
            (checks.app_type)(t).map_err(|m| bad(a, "app_type", m))?;
        }
        let mut values = BTreeMap::new();
        for (var, from) in &a.credentials {
            match (checks.env)(from) {
                Some(v) if !v.is_empty() => {
                    values.insert(var.clone(), v);
                }
                _ => {
                    return Err(bad(
                        a,
                        &format!("credentials.{var}"),
                        format!("the environment variable {from} is not set"),
                    ));
                }
            }
        }
        secrets.insert(a.key(), values);
    }
    Ok(secrets)
}

/// The packages of a list, for messages.
pub fn keys(apps: &[App]) -> BTreeSet<String> {
    apps.iter().map(App::key).collect()
}

/// The JSON Schema of app lists.
pub fn schema_json() -> String {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<RawAppList>();
    crate::report::to_json(&schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Result<Vec<App>, AppListError> {
        parse_list(text, Path::new("lists/apps.yaml"))
    }

    #[test]
    fn short_and_full_forms_with_defaults() {
        let apps = yaml(
            "kind: app-list\nversion: 1\ndefaults:\n  tags: [nightly]\n  credentials: {SECRET_PASSWORD: SHOP_PW}\napps:\n  - com.example.one\n  - package: com.example.two\n    app_type: news\n    tags: [feed]\n    env: {REGION: cn}\n  - apk: builds/three.apk\n",
        )
        .unwrap();
        assert_eq!(apps.len(), 3);
        assert_eq!(apps[0].package, "com.example.one");
        assert_eq!(apps[0].line, 7);
        assert_eq!(apps[0].tags, ["nightly"]);
        assert_eq!(apps[1].app_type.as_deref(), Some("news"));
        assert_eq!(apps[1].tags, ["nightly", "feed"]);
        assert_eq!(apps[1].env["REGION"], "cn");
        assert_eq!(apps[1].credentials["SECRET_PASSWORD"], "SHOP_PW");
        assert_eq!(
            apps[2].apk.as_deref(),
            Some(Path::new("lists/builds/three.apk"))
        );
        assert_eq!(apps[2].key(), "three");
    }

    #[test]
    fn bad_lists_name_line_and_key() {
        let e = yaml("apps:\n  - com.example.one\n  - package: not a package\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (3, "apps[1].package"), "{e}");
        let e = yaml("apps:\n  - com.example.one\n  - com.example.one\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("line 2"), "{e}");
        let e = yaml("apps:\n  - package: com.example.one\n    colour: red\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (3, "apps[0].colour"), "{e}");
        let e = yaml("apps:\n  - package: com.a.b\n    credentials: {SECRET_PASSWORD: hunter2!}\n")
            .unwrap_err();
        assert_eq!(e.key, "apps[0].credentials.SECRET_PASSWORD", "{e}");
        // What may be a secret written in by mistake is not echoed.
        assert!(
            e.message
                .contains("not the name of an environment variable"),
            "{e}"
        );
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = yaml("kind: suite\napps: [com.a.b]\n").unwrap_err();
        assert_eq!(e.key, "kind", "{e}");
        assert!(yaml("apps: []\n").is_err());
        let e = yaml("apps:\n  - tags: [x]\n").unwrap_err();
        assert!(e.message.contains("`package` or `apk`"), "{e}");
    }

    #[test]
    fn text_lists() {
        let apps = parse_list(
            "# nightly\ncom.example.one\n\ncom.example.two  # flaky\n",
            Path::new("apps.txt"),
        )
        .unwrap();
        assert_eq!(keys(&apps).len(), 2);
        assert_eq!(apps[1].line, 4);
        let e = parse_list("com.example.one\n../etc/passwd\n", Path::new("apps.txt")).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(parse_list("# nothing\n", Path::new("apps.txt")).is_err());
    }

    #[test]
    fn machine_checks() {
        let apps = yaml(
            "apps:\n  - package: com.example.one\n    app_type: newz\n    credentials: {SECRET_PASSWORD: PW}\n",
        )
        .unwrap();
        let known = |t: &str| {
            if t == "news" {
                Ok(())
            } else {
                Err(format!("unknown app type `{t}`"))
            }
        };
        let env = |_: &str| None;
        let e = check(
            &apps,
            Path::new("a.yaml"),
            &Checks {
                app_type: &known,
                env: &env,
            },
        )
        .unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (2, "app_type"), "{e}");
        let apps =
            yaml("apps:\n  - package: com.example.one\n    credentials: {SECRET_PASSWORD: PW}\n")
                .unwrap();
        let e = check(
            &apps,
            Path::new("a.yaml"),
            &Checks {
                app_type: &known,
                env: &env,
            },
        )
        .unwrap_err();
        assert!(e.message.contains("PW is not set"), "{e}");
        let env = |k: &str| (k == "PW").then(|| "s3cret".to_string());
        let got = check(
            &apps,
            Path::new("a.yaml"),
            &Checks {
                app_type: &known,
                env: &env,
            },
        )
        .unwrap();
        assert_eq!(got["com.example.one"]["SECRET_PASSWORD"], "s3cret");
    }
}
