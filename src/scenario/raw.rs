//! The scenario file as written: serde input types (`Raw*`) with
//! `deny_unknown_fields`, from which the JSON Schema is generated.
//!
//! A command is a bare word (`- back`), a one-key map with a scalar
//! (`- tapOn: "Agree"`) or a one-key map with a map
//! (`- tapOn: {id: ..., optional: true}`). The payload of each command is a
//! [`Flex`], whose deserialiser dispatches on the YAML node's kind (null,
//! scalar, list, map) instead of using `#[serde(untagged)]`, so that errors
//! name the key that is wrong rather than "did not match any variant".
//!
//! Command lists nested inside commands (`runFlow.commands`, `repeat`...)
//! stay as raw YAML values here ([`RawCommands`]) and are converted one
//! command at a time, so that every bad command in a file is reported.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A scalar written where a short form is allowed.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    /// The scalar as text (numbers and booleans as YAML would print them).
    pub fn into_text(self) -> String {
        match self {
            Scalar::Str(s) => s,
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }

    fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Scalar::Str(s) => Unexpected::Str(s),
            Scalar::Int(i) => Unexpected::Signed(*i),
            Scalar::Float(f) => Unexpected::Float(*f),
            Scalar::Bool(b) => Unexpected::Bool(*b),
        }
    }
}

/// How a command's payload may be written besides its full map form.
pub trait Payload: Sized + DeserializeOwned + Serialize + JsonSchema + PartialEq {
    /// Describes the accepted forms, for "expected ..." messages.
    const EXPECTING: &'static str;

    /// The value of the bare form (`- back`), if the command has one.
    fn bare() -> Option<Self> {
        None
    }

    /// The value of the scalar short form (`- tapOn: "Agree"`), if accepted.
    fn scalar(_value: Scalar) -> Option<Self> {
        None
    }

    /// The JSON Schema of the scalar short form, if there is one.
    fn scalar_schema() -> Option<Schema> {
        None
    }

    /// The list short form (`- snapshot: [appops]`), if accepted.
    fn list<'de, A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        drop(seq);
        Err(de::Error::invalid_type(Unexpected::Seq, &Self::EXPECTING))
    }

    /// The JSON Schema of the list short form, if there is one.
    fn list_schema(_generator: &mut SchemaGenerator) -> Option<Schema> {
        None
    }
}

/// A command payload in any of the forms its [`Payload`] accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct Flex<T>(pub T);

impl<'de, T: Payload> Deserialize<'de> for Flex<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: Payload> V<T> {
            fn scalar<E: de::Error>(value: Scalar) -> Result<Flex<T>, E> {
                #![allow(clippy::needless_pass_by_value)]
                let unexpected = value.unexpected().to_string();
                T::scalar(value.clone()).map(Flex).ok_or_else(|| {
                    E::custom(format_args!(
                        "invalid type: {unexpected}, expected {}",
                        T::EXPECTING
                    ))
                })
            }
        }
        impl<'de, T: Payload> Visitor<'de> for V<T> {
            type Value = Flex<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                T::bare()
                    .map(Flex)
                    .ok_or_else(|| E::invalid_type(Unexpected::Unit, &self))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                self.visit_unit()
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Str(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                match i64::try_from(v) {
                    Ok(i) => Self::scalar(Scalar::Int(i)),
                    Err(_) => Self::scalar(Scalar::Str(v.to_string())),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Bool(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                T::list(seq).map(Flex)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Flex)
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

impl<T: Payload> Serialize for Flex<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if T::bare().as_ref() == Some(&self.0) {
            serializer.serialize_unit()
        } else {
            self.0.serialize(serializer)
        }
    }
}

impl<T: Payload> JsonSchema for Flex<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Flex_{}", T::schema_name()).into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut any_of = Vec::new();
        if T::bare().is_some() {
            any_of.push(json_schema!({"type": "null"}));
        }
        if let Some(s) = T::scalar_schema() {
            any_of.push(s);
        }
        if let Some(s) = T::list_schema(generator) {
            any_of.push(s);
        }
        any_of.push(generator.subschema_for::<T>());
        if any_of.len() == 1 {
            return any_of.remove(0);
        }
        json_schema!({ "anyOf": any_of })
    }
}

/// A list of commands kept as YAML values until conversion, one command at a
/// time (see the module docs).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawCommands(pub Vec<serde_yaml::Value>);

impl JsonSchema for RawCommands {
    fn schema_name() -> Cow<'static, str> {
        "Commands".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let item = generator.subschema_for::<RawCommand>();
        json_schema!({"type": "array", "items": item})
    }
}

/// A string, number or boolean used as text (`env` values, `inputText`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct RawText(pub String);

impl<'de> Deserialize<'de> for RawText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawText, E> {
                Ok(RawText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawText, E> {
                Ok(RawText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawText, E> {
                Ok(RawText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawText, E> {
                Ok(RawText(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawText, E> {
                Ok(RawText(v.to_string()))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for RawText {
    fn schema_name() -> Cow<'static, str> {
        "Text".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["string", "number", "boolean"]})
    }
}

/// A duration as written: integer milliseconds (Maestro) or text such as
/// `"30s"`, `"500ms"`, `"1m30s"`. Checked when converted.
#[derive(Debug, Clone, PartialEq)]
pub enum RawDuration {
    Millis(i64),
    Text(String),
}

impl Serialize for RawDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RawDuration::Millis(ms) => serializer.serialize_i64(*ms),
            RawDuration::Text(t) => serializer.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for RawDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"30s\", \"500ms\" or integer milliseconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDuration, E> {
                Ok(RawDuration::Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawDuration, E> {
                Ok(RawDuration::Millis(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawDuration, E> {
                i64::try_from(v)
                    .map(RawDuration::Millis)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for RawDuration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "integer milliseconds, or a number with a unit: 500ms, 30s, 2m, 1h, 1m30s",
            "anyOf": [
                {"type": "integer", "exclusiveMinimum": 0},
                {"type": "string", "pattern": "^\\s*[0-9]+\\s*$|^\\s*([0-9]+(\\.[0-9]+)?\\s*(ms|min|s|m|h)\\s*)+$"}
            ]
        })
    }
}

/// The names a [`RawName`] field takes, for its schema (the converter
/// checks the value, so that a typo gets a "did you mean").
pub trait NameList {
    const SCHEMA_NAME: &'static str;
    const DESCRIPTION: &'static str;
    const NAMES: &'static [&'static str];
}

/// The names of selector `role`s.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoleNames;

impl NameList for RoleNames {
    const SCHEMA_NAME: &'static str = "Role";
    const DESCRIPTION: &'static str =
        "a button role (as `consentry inspect` shows it) or an element kind";
    const NAMES: &'static [&'static str] = super::values::ElementRole::NAMES;
}

/// The names of `explore.target`s.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExploreTargetNames;

impl NameList for ExploreTargetNames {
    const SCHEMA_NAME: &'static str = "ExploreTarget";
    const DESCRIPTION: &'static str = "what to explore towards, found through screen understanding";
    const NAMES: &'static [&'static str] = super::values::ExploreTarget::NAMES;
}

/// A name from a fixed list, kept as written until conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct RawName<L>(pub String, PhantomData<L>);

impl<L> RawName<L> {
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into(), PhantomData)
    }
}

impl<L> Serialize for RawName<L> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de, L> Deserialize<'de> for RawName<L> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

impl<L: NameList> JsonSchema for RawName<L> {
    fn schema_name() -> Cow<'static, str> {
        L::SCHEMA_NAME.into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "description": L::DESCRIPTION, "enum": L::NAMES})
    }
}

// ---------------------------------------------------------------------------
// Header

/// The header document, before `---`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "consentry scenario header")]
pub struct RawHeader {
    /// Package of the app under test; `${APP_ID}` lets an app list fill it in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Variables for `${NAME}` interpolation; the CLI's `-e` overrides them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, RawText>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_flow_start: Option<RawCommands>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_flow_complete: Option<RawCommands>,
    /// Category ids judged on this run (see docs/categories.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup: Option<RawSetup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_dialog: Option<RawOnDialog>,
}

impl RawHeader {
    /// Takes every key `other` sets (headers are read one key at a time).
    pub(crate) fn merge(&mut self, other: RawHeader) {
        macro_rules! take {
            ($($f:ident),*) => {$(if other.$f.is_some() { self.$f = other.$f; })*};
        }
        take!(
            app_id,
            name,
            tags,
            env,
            on_flow_start,
            on_flow_complete,
            checks,
            setup,
            on_dialog
        );
    }
}

/// How the app is prepared before the flow runs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawSetup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install: Option<InstallMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<PermissionSetup>,
}

/// `fresh`: uninstall and install again (or `pm clear` for an installed
/// package without an APK); `clear`: `pm clear`; `keep`: leave as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum InstallMode {
    Fresh,
    Clear,
    Keep,
}

/// `granted`: pass G (all runtime permissions granted at install);
/// `denied`: pass N (nothing granted, prompts denied); `default`: untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PermissionSetup {
    Granted,
    Denied,
    Default,
}

/// Interrupt handlers: what to do when a known dialog appears at any step.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawOnDialog {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<PermissionAnswer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crash: Option<CrashAnswer>,
    /// App dialogs recognised by a selector, answered by commands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<Vec<RawDialogHandler>>,
}

/// How a system permission dialog is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PermissionAnswer {
    Allow,
    AllowForegroundOnly,
    Deny,
    DenyAndDontAskAgain,
    /// Leave the dialog for the flow's own commands.
    Ignore,
    /// Fail the step: the dialog was not expected.
    Fail,
}

/// How a crash dialog ("keeps stopping") is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum CrashAnswer {
    Close,
    Fail,
    Ignore,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawDialogHandler {
    pub visible: Flex<RawSelector>,
    pub commands: RawCommands,
}

// ---------------------------------------------------------------------------
// Selectors

/// Declares a struct with the selector keys plus extra keys, so that tap
/// commands accept their options beside the selector without `flatten`
/// (which does not combine with `deny_unknown_fields`).
macro_rules! selector_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        #[schemars(extend("dependencies" = {"threshold": ["image"]}))]
        pub struct $name {
            /// The elements screen understanding gives this role (agree, refuse, allow, deny, ...) or kind (consent-box, personalisation-switch, deletion-entry); the other keys narrow them.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub role: Option<RawName<RoleNames>>,
            /// Regex matched against the whole text or content description.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub text: Option<RawText>,
            /// Regex matched against the resource id (`pkg:id/name` or `name`).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub id: Option<String>,
            /// Which of several matches, 0-based, in reading order.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub index: Option<u32>,
            /// `"50%,80%"` or `"540,1200"`; excludes the other keys.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub point: Option<String>,
            /// A PNG template to find on the screen, relative to this file; excludes `text`, `id`, `point`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub image: Option<String>,
            /// Lowest match score for `image`, 0 to 1 (default 0.9).
            #[serde(skip_serializing_if = "Option::is_none")]
            #[schemars(range(min = 0.0, max = 1.0))]
            pub threshold: Option<f64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub enabled: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub checked: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub focused: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub selected: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub below: Option<Box<Flex<RawSelector>>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub above: Option<Box<Flex<RawSelector>>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub left_of: Option<Box<Flex<RawSelector>>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub right_of: Option<Box<Flex<RawSelector>>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub child_of: Option<Box<Flex<RawSelector>>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub contains_child: Option<Box<Flex<RawSelector>>>,
            /// Do not fail the step when nothing matches.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub optional: Option<bool>,
            /// Text shown for the step in reports instead of the command.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub label: Option<String>,
            $($(#[$fmeta])* #[serde(skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }

        impl $name {
            /// The selector part of the keys.
            #[must_use]
            pub fn selector(&self) -> RawSelector {
                RawSelector {
                    role: self.role.clone(),
                    text: self.text.clone(),
                    id: self.id.clone(),
                    index: self.index,
                    point: self.point.clone(),
                    image: self.image.clone(),
                    threshold: self.threshold,
                    enabled: self.enabled,
                    checked: self.checked,
                    focused: self.focused,
                    selected: self.selected,
                    below: self.below.clone(),
                    above: self.above.clone(),
                    left_of: self.left_of.clone(),
                    right_of: self.right_of.clone(),
                    child_of: self.child_of.clone(),
                    contains_child: self.contains_child.clone(),
                    optional: self.optional,
                    label: self.label.clone(),
                }
            }

            /// Builds the struct from a selector, with the extra keys unset.
            #[must_use]
            pub fn from_selector(s: RawSelector) -> Self {
                Self {
                    role: s.role,
                    text: s.text,
                    id: s.id,
                    index: s.index,
                    point: s.point,
                    image: s.image,
                    threshold: s.threshold,
                    enabled: s.enabled,
                    checked: s.checked,
                    focused: s.focused,
                    selected: s.selected,
                    below: s.below,
                    above: s.above,
                    left_of: s.left_of,
                    right_of: s.right_of,
                    child_of: s.child_of,
                    contains_child: s.contains_child,
                    optional: s.optional,
                    label: s.label,
                    $($field: None,)*
                }
            }
        }

        impl Payload for $name {
            const EXPECTING: &'static str = "a text regex or a selector map (text, id, index, point, image, ...)";
            fn scalar(value: Scalar) -> Option<Self> {
                Some(Self::from_selector(RawSelector {
                    text: Some(RawText(value.into_text())),
                    ..RawSelector::default()
                }))
            }
            fn scalar_schema() -> Option<Schema> {
                Some(json_schema!({"type": ["string", "number"], "description": "regex matched against text or content description"}))
            }
        }
    };
}

selector_struct!(
    /// Finds one element on the screen.
    RawSelector {}
);

selector_struct!(
    /// `tapOn` / `longPressOn` / `doubleTapOn`: a selector plus tap options.
    RawTap {
        /// Tap this many times.
        repeat: u32,
        /// Pause between repeated taps.
        delay: RawDuration,
        /// Tap again if the screen did not change.
        retry_tap_if_no_change: bool,
        /// Most time to wait for the screen to settle after the tap.
        wait_to_settle_timeout_ms: RawDuration,
    }
);

// ---------------------------------------------------------------------------
// Command payloads

/// Options every command accepts in its map form.
macro_rules! common_fields {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        pub struct $name {
            $($(#[$fmeta])* #[serde(skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
            /// Text shown for the step in reports instead of the command.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub label: Option<String>,
            /// Do not fail the flow when this command fails.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub optional: Option<bool>,
        }
    };
}

common_fields!(
    /// A command with no options (`back`, `hideKeyboard`, `scroll`).
    RawBare {}
);

impl Payload for RawBare {
    const EXPECTING: &'static str = "nothing, or a map with `label` / `optional`";
    fn bare() -> Option<Self> {
        Some(Self::default())
    }
}

common_fields!(
    /// `launchApp`.
    RawLaunchApp {
        /// Another app than the header's.
        app_id: String,
        /// `pm clear` before launching.
        clear_state: bool,
        /// iOS only: `true` is ignored on Android, with a warning, as Maestro does.
        clear_keychain: bool,
        /// Force-stop before launching (default true).
        stop_app: bool,
        /// Permission states to set before launch: `all` or a permission name
        /// (`android.permission.CAMERA` or `camera`) mapped to allow, deny or unset.
        permissions: BTreeMap<String, String>,
        /// Launch extras passed to the activity.
        arguments: BTreeMap<String, RawText>,
    }
);

impl Payload for RawLaunchApp {
    const EXPECTING: &'static str =
        "nothing, an app id, or a map (appId, clearState, stopApp, permissions, arguments)";
    fn bare() -> Option<Self> {
        Some(Self::default())
    }
    fn scalar(value: Scalar) -> Option<Self> {
        match value {
            Scalar::Str(s) => Some(Self {
                app_id: Some(s),
                ..Self::default()
            }),
            _ => None,
        }
    }
    fn scalar_schema() -> Option<Schema> {
        Some(json_schema!({"type": "string", "description": "app id"}))
    }
}

common_fields!(
    /// `stopApp` / `killApp` / `clearState`.
    RawAppRef {
        app_id: String,
    }
);

impl Payload for RawAppRef {
    const EXPECTING: &'static str = "nothing, an app id, or a map with `appId`";
    fn bare() -> Option<Self> {
        Some(Self::default())
    }
    fn scalar(value: Scalar) -> Option<Self> {
        match value {
            Scalar::Str(s) => Some(Self {
                app_id: Some(s),
                ..Self::default()
            }),
            _ => None,
        }
    }
    fn scalar_schema() -> Option<Schema> {
        Some(json_schema!({"type": "string", "description": "app id"}))
    }
}

common_fields!(
    /// `inputText`.
    RawInputText {
        text: RawText,
    }
);

impl Payload for RawInputText {
    const EXPECTING: &'static str = "the text to type, or a map with `text`";
    fn scalar(value: Scalar) -> Option<Self> {
        Some(Self {
            text: Some(RawText(value.into_text())),
            ..Self::default()
        })
    }
    fn scalar_schema() -> Option<Schema> {
        Some(json_schema!({"type": ["string", "number", "boolean"]}))
    }
}

common_fields!(
    /// `eraseText`.
    RawEraseText {
        characters_to_erase: u32,
    }
);

impl Payload for RawEraseText {
    const EXPECTING: &'static str =
        "nothing, a number of characters, or a map with `charactersToErase`";
    fn bare() -> Option<Self> {
        Some(Self::default())
    }
    fn scalar(value: Scalar) -> Option<Self> {
        match value {
            Scalar::Int(n) => u32::try_from(n).ok().map(|n| Self {
                characters_to_erase: Some(n),
                ..Self::default()
            }),
            _ => None,
        }
    }
    fn scalar_schema() -> Option<Schema> {
        Some(json_schema!({"type": "integer", "minimum": 0}))
    }
}

common_fields!(
    /// `pressKey`.
    RawPressKey {
        key: String,
    }
);

impl Payload for RawPressKey {
    const EXPECTING: &'static str = "a key name (Home, Back, Enter, ...) or a map with `key`";
    fn scalar(value: Scalar) -> Option<Self> {
        match value {
            Scalar::Str(s) => Some(Self {
                key: Some(s),
                ..Self::default()
            }),
            _ => None,
        }
    }
    fn scalar_schema() -> Option<Schema> {
        Some(
            json_schema!({"type": "string", "description": "key name: Home, Back, Enter, Backspace, Tab, Volume Up, Volume Down, Power, Lock, ..."}),
        )
    }
}

common_fields!(
    /// `swipe`: a direction, two points, or a direction from an element.
    RawSwipe {
        /// UP, DOWN, LEFT or RIGHT.
        direction: String,
        /// Start point, `"90%,50%"` or `"540,1200"`.
        start: String,
        /// End point.
        end: String,
        /// Swipe from this element (with `direction`).
        from: Flex<RawSelector>,
        duration: RawDuration,
    }
);

impl Payload for RawSwipe {
    const EXPECTING: &'static str = "a map with `direction`, or `start` and `end`";
}

common_fields!(
    /// `scrollUntilVisible`.
    RawScrollUntilVisible {
        element: Flex<RawSelector>,
        /// UP, DOWN (default), LEFT or RIGHT.
        direction: String,
        timeout: RawDuration,
        /// Swipe speed, 0-100.
        speed: u32,
        /// How much of the element must show, 1-100 percent.
        visibility_percentage: u32,
        center_element: bool,
    }
);

impl Payload for RawScrollUntilVisible {
    const EXPECTING: &'static str = "a map with `element`";
}

common_fields!(
    /// `extendedWaitUntil`.
    RawExtendedWait {
        visible: Flex<RawSelector>,
        not_visible: Flex<RawSelector>,
        timeout: RawDuration,
    }
);

impl Payload for RawExtendedWait {
    const EXPECTING: &'static str = "a map with `visible` or `notVisible`, and `timeout`";
}

common_fields!(
    /// `waitForAnimationToEnd`.
    RawWaitForAnimation {
        timeout: RawDuration,
    }
);

impl Payload for RawWaitForAnimation {
    const EXPECTING: &'static str = "nothing, or a map with `timeout`";
    fn bare() -> Option<Self> {
        Some(Self::default())
    }
}

common_fields!(
    /// `takeScreenshot`.
    RawTakeScreenshot {
        /// Name of the screenshot in the run directory (no extension).
        path: String,
    }
);

impl Payload for RawTakeScreenshot {
    const EXPECTING: &'static str = "a screenshot name or a map with `path`";
    fn scalar(value: Scalar) -> Option<Self> {
        Some(Self {
            path: Some(value.into_text()),
            ..Self::default()
        })
    }
    fn scalar_schema() -> Option<Schema> {
        Some(json_schema!({"type": "string"}))
    }
}

/// A condition on the screen, for `when`, `repeat.while`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawCondition {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible: Option<Flex<RawSelector>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_visible: Option<Flex<RawSelector>>,
    /// `android` or `ios`; flows for iOS only are skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// `runFlow.when` only: holds when this variable has a non-empty value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
}

common_fields!(
    /// `runFlow`: a file or inline commands.
    RawRunFlow {
        /// Path relative to this file.
        file: String,
        commands: RawCommands,
        when: RawCondition,
        env: BTreeMap<String, RawText>,
    }
);

impl Payload for RawRunFlow {
    const EXPECTING: &'static str = "a file path or a map with `file` or `commands`";
    fn scalar(value: Scalar) -> Option<Self> {
        match value {
            Scalar::Str(s) => Some(Self {
                file: Some(s),
                ..Self::default()
            }),
            _ => None,
        }
    }
    fn scalar_schema() -> Option<Schema> {
        Some(
            json_schema!({"type": "string", "description": "path of a flow file, relative to this one"}),
        )
    }
}

common_fields!(
    /// `repeat`.
    RawRepeat {
        times: RawText,
        #[serde(rename = "while")]
        while_: RawCondition,
        commands: RawCommands,
    }
);

impl Payload for RawRepeat {
    const EXPECTING: &'static str = "a map with `commands` and `times` or `while`";
}

common_fields!(
    /// `retry`.
    RawRetry {
        max_retries: u32,
        commands: RawCommands,
        file: String,
    }
);

impl Payload for RawRetry {
    const EXPECTING: &'static str = "a map with `commands` (or `file`) and `maxRetries`";
}

common_fields!(
    /// `openLink`.
    RawOpenLink {
        link: String,
        auto_verify: bool,
        browser: bool,
    }
);

impl Payload for RawOpenLink {
    const EXPECTING: &'static str = "a URL or a map with `link`";
    fn scalar(value: Scalar) -> Option<Self> {
        match value {
            Scalar::Str(s) => Some(Self {
                link: Some(s),
                ..Self::default()
            }),
            _ => None,
        }
    }
    fn scalar_schema() -> Option<Schema> {
        Some(json_schema!({"type": "string", "format": "uri-reference"}))
    }
}

common_fields!(
    /// `mark`: a named point on the evidence timeline, also written to logcat.
    RawMark {
        name: String,
    }
);

impl Payload for RawMark {
    const EXPECTING: &'static str = "a mark name or a map with `name`";
    fn scalar(value: Scalar) -> Option<Self> {
        Some(Self {
            name: Some(value.into_text()),
            ..Self::default()
        })
    }
    fn scalar_schema() -> Option<Schema> {
        Some(json_schema!({"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"}))
    }
}

common_fields!(
    /// `idle`: stay on the current screen, collecting evidence.
    RawIdle {
        duration: RawDuration,
    }
);

impl Payload for RawIdle {
    const EXPECTING: &'static str = "a duration such as \"30s\", or a map with `duration`";
    fn scalar(value: Scalar) -> Option<Self> {
        let duration = match value {
            Scalar::Int(n) => RawDuration::Millis(n),
            Scalar::Str(s) => RawDuration::Text(s),
            _ => return None,
        };
        Some(Self {
            duration: Some(duration),
            ..Self::default()
        })
    }
    fn scalar_schema() -> Option<Schema> {
        Some(
            json_schema!({"type": ["string", "integer"], "description": "a duration such as \"30s\" or integer milliseconds"}),
        )
    }
}

common_fields!(
    /// `expect`: assertions that each become a finding when they fail.
    RawExpect {
        /// The app's process is (or is not) alive.
        app_running: bool,
        /// The app is (or is not) in the foreground.
        app_in_foreground: bool,
        /// No logcat line since the flow started matches this regex.
        no_logcat: String,
        /// Some logcat line since the flow started matches this regex.
        logcat: String,
        visible: Flex<RawSelector>,
        not_visible: Flex<RawSelector>,
        /// The screen matches this template image (path relative to the file).
        screenshot_matching: String,
        /// The screen does not match this template image.
        screenshot_not_matching: String,
    }
);

impl Payload for RawExpect {
    const EXPECTING: &'static str = "a map of expectations (appRunning, noLogcat, visible, ...)";
}

common_fields!(
    /// `denyPermissions` / `allowPermissions`: answer every system permission
    /// dialog from here on (until the next such command), recording each request.
    RawPermissionPolicy {
        /// Only these permissions (names or short names such as `camera`).
        only: Vec<String>,
        /// Deny with "don't ask again" where the dialog offers it.
        dont_ask_again: bool,
        /// Allow only while in use, where the dialog offers it.
        foreground_only: bool,
    }
);

impl Payload for RawPermissionPolicy {
    const EXPECTING: &'static str =
        "nothing, or a map with `only`, `dontAskAgain`, `foregroundOnly`";
    fn bare() -> Option<Self> {
        Some(Self::default())
    }
}

common_fields!(
    /// `explore`: bounded UI exploration for a target, or a crawl of every
    /// screen within the bounds when neither `find` nor `target` is given.
    RawExplore {
        /// Regex of the target text (e.g. "Delete account").
        find: String,
        /// A target found through screen understanding instead of `find`.
        target: RawName<ExploreTargetNames>,
        /// Regex of texts never to tap (e.g. "Log out").
        avoid: String,
        max_depth: u32,
        max_taps: u32,
        timeout: RawDuration,
    }
);

impl Payload for RawExplore {
    const EXPECTING: &'static str = "a map with `find` or `target` (or neither, to crawl) and optionally `avoid`, `maxDepth`, `maxTaps`, `timeout`";
}

/// A system record captured by `snapshot`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Ord, PartialOrd, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SnapshotKind {
    Appops,
    Package,
    ExitInfo,
    Activity,
    Screenshot,
    UiTree,
}

common_fields!(
    /// `snapshot`: record system state at this point.
    RawSnapshot {
        of: Vec<SnapshotKind>,
    }
);

impl Payload for RawSnapshot {
    const EXPECTING: &'static str =
        "nothing (all records), a list such as [appops, package, exit-info], or a map with `of`";
    fn bare() -> Option<Self> {
        Some(Self::default())
    }
    fn list<'de, A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        let of = Vec::<SnapshotKind>::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Self {
            of: Some(of),
            ..Self::default()
        })
    }
    fn list_schema(generator: &mut SchemaGenerator) -> Option<Schema> {
        let item = generator.subschema_for::<SnapshotKind>();
        Some(json_schema!({"type": "array", "items": item}))
    }
}

// ---------------------------------------------------------------------------
// The command table

macro_rules! commands {
    ($($(#[$meta:meta])* $name:literal => $variant:ident($ty:ty),)*) => {
        /// One command of a flow, as written.
        #[derive(Debug, Clone, PartialEq)]
        pub enum RawCommand {
            $($(#[$meta])* $variant(Flex<$ty>),)*
        }

        /// Every command name consentry accepts.
        pub const COMMAND_NAMES: &[&str] = &[$($name),*];

        impl RawCommand {
            /// The command's name as written in a flow.
            pub fn name(&self) -> &'static str {
                match self {
                    $(RawCommand::$variant(_) => $name,)*
                }
            }

            /// Deserialises the payload of command `name` (`None` for an
            /// unknown name), keeping the key path of any error.
            pub(crate) fn from_payload(
                name: &str,
                payload: serde_yaml::Value,
            ) -> Option<Result<Self, serde_path_to_error::Error<serde_yaml::Error>>> {
                match name {
                    $($name => Some(serde_path_to_error::deserialize(payload).map(RawCommand::$variant)),)*
                    _ => None,
                }
            }
        }

        impl Serialize for RawCommand {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                match self {
                    $(RawCommand::$variant(p) => {
                        if <$ty as Payload>::bare().as_ref() == Some(&p.0) {
                            serializer.serialize_str($name)
                        } else {
                            let mut map = serializer.serialize_map(Some(1))?;
                            map.serialize_entry($name, p)?;
                            map.end()
                        }
                    })*
                }
            }
        }

        impl JsonSchema for RawCommand {
            fn schema_name() -> Cow<'static, str> {
                "Command".into()
            }

            fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                let mut bare = Vec::new();
                let mut one_of = Vec::new();
                $(
                    if <$ty as Payload>::bare().is_some() {
                        bare.push($name);
                    }
                    let payload = generator.subschema_for::<Flex<$ty>>();
                    one_of.push(json_schema!({
                        "type": "object",
                        "properties": { $name: payload },
                        "required": [$name],
                        "additionalProperties": false,
                    }));
                )*
                one_of.push(json_schema!({"type": "string", "enum": bare}));
                json_schema!({"oneOf": one_of})
            }
        }
    };
}

commands! {
    "launchApp" => LaunchApp(RawLaunchApp),
    "stopApp" => StopApp(RawAppRef),
    "killApp" => KillApp(RawAppRef),
    "clearState" => ClearState(RawAppRef),
    "tapOn" => TapOn(RawTap),
    "doubleTapOn" => DoubleTapOn(RawTap),
    "longPressOn" => LongPressOn(RawTap),
    "inputText" => InputText(RawInputText),
    "eraseText" => EraseText(RawEraseText),
    "back" => Back(RawBare),
    "pressKey" => PressKey(RawPressKey),
    "hideKeyboard" => HideKeyboard(RawBare),
    "scroll" => Scroll(RawBare),
    "swipe" => Swipe(RawSwipe),
    "scrollUntilVisible" => ScrollUntilVisible(RawScrollUntilVisible),
    "assertVisible" => AssertVisible(RawSelector),
    "assertNotVisible" => AssertNotVisible(RawSelector),
    "extendedWaitUntil" => ExtendedWaitUntil(RawExtendedWait),
    "waitForAnimationToEnd" => WaitForAnimationToEnd(RawWaitForAnimation),
    "takeScreenshot" => TakeScreenshot(RawTakeScreenshot),
    "runFlow" => RunFlow(RawRunFlow),
    "repeat" => Repeat(RawRepeat),
    "retry" => Retry(RawRetry),
    "openLink" => OpenLink(RawOpenLink),
    "mark" => Mark(RawMark),
    "idle" => Idle(RawIdle),
    "expect" => Expect(RawExpect),
    "denyPermissions" => DenyPermissions(RawPermissionPolicy),
    "allowPermissions" => AllowPermissions(RawPermissionPolicy),
    "explore" => Explore(RawExplore),
    "snapshot" => Snapshot(RawSnapshot),
}

/// Maestro commands that consentry recognises but does not run yet. Using
/// one is a validation error that says so, never a silent skip.
pub const UNSUPPORTED_MAESTRO_COMMANDS: &[&str] = &[
    "addMedia",
    "assertNoDefectsWithAI",
    "assertTrue",
    "assertWithAI",
    "clearKeychain",
    "copyTextFrom",
    "evalScript",
    "extractTextWithAI",
    "inputRandomEmail",
    "inputRandomNumber",
    "inputRandomPersonName",
    "inputRandomText",
    "pasteText",
    "runScript",
    "setAirplaneMode",
    "setLocation",
    "setOrientation",
    "setPermissions",
    "startRecording",
    "stopRecording",
    "toggleAirplaneMode",
    "travel",
];
