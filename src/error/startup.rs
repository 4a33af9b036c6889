//! Failures to start (and of the command-line tasks), each told in one line
//! that names the setting at fault and the cause.

use std::fmt;

/// Why the service, or a command-line task, could not go on.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting that does not work: its environment variable, its value when
    /// that is safe to show (passwords left out), and the cause.
    #[error("{}", SettingLine(setting, value.as_deref(), cause))]
    Setting {
        setting: &'static str,
        value: Option<String>,
        cause: String,
    },
    /// A failure not tied to one setting, or whose message names it already.
    #[error("{0}")]
    Other(String),
}

impl StartupError {
    /// The setting (by its environment variable) and why it fails.
    pub fn setting(setting: &'static str, cause: impl Into<String>) -> Self {
        Self::Setting {
            setting,
            value: None,
            cause: cause.into(),
        }
    }

    /// The setting, its value as shown to the operator, and why it fails.
    pub fn setting_value(
        setting: &'static str,
        value: impl fmt::Display,
        cause: impl Into<String>,
    ) -> Self {
        Self::Setting {
            setting,
            value: Some(value.to_string()),
            cause: cause.into(),
        }
    }

    pub fn other(message: impl Into<String>) -> Self {
        Self::Other(message.into())
    }
}

struct SettingLine<'a>(&'a str, Option<&'a str>, &'a str);

impl fmt::Display for SettingLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(value) => write!(f, "{} {}: {}", self.0, value, self.2),
            None => write!(f, "{}: {}", self.0, self.2),
        }
    }
}

/// An I/O error as a short cause: `permission denied`, `address already in use`
/// (the OS message without its `(os error N)` suffix, in lower case).
pub fn io_cause(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => format!("{:?}", e.kind()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_names_the_setting_its_value_and_the_cause() {
        let e = StartupError::setting_value("BIND", "127.0.0.1:8000", "address already in use");
        assert_eq!(e.to_string(), "BIND 127.0.0.1:8000: address already in use");
        let e = StartupError::setting("DATABASE_URL", "connection refused");
        assert_eq!(e.to_string(), "DATABASE_URL: connection refused");
    }

    #[test]
    fn io_causes_are_short() {
        let e = std::io::Error::from_raw_os_error(98);
        assert_eq!(io_cause(&e), "address already in use");
        let e = std::io::Error::other("Custom words");
        assert_eq!(io_cause(&e), "custom words");
    }
}
