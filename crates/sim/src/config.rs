//! Simulator settings: defaults, command-line flags and environment variables.

use std::time::Duration;

/// The bearer key each provider accepts.
#[derive(Clone, Debug)]
pub struct Keys {
    /// SECRY key (`--secry-key`, `SIM_SECRY_KEY`).
    pub secry: String,
    /// Secton key (`--secton-key`, `SIM_SECTON_KEY`).
    pub secton: String,
    /// airforce key (`--airforce-key`, `SIM_AIRFORCE_KEY`).
    pub airforce: String,
    /// Siraya key (`--siraya-key`, `SIM_SIRAYA_KEY`).
    pub siraya: String,
    /// Gemini proxy key (`--gemini-key`, `SIM_GEMINI_KEY`).
    pub gemini: String,
}

impl Default for Keys {
    fn default() -> Self {
        Self {
            secry: "sk-sim-secry".into(),
            secton: "sk-sim-secton".into(),
            airforce: "sk-sim-airforce".into(),
            siraya: "sk-sim-siraya".into(),
            gemini: "sk-sim-gemini".into(),
        }
    }
}

/// Everything the simulator can be told at start.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to bind (`--host`, default 127.0.0.1).
    pub host: String,
    /// Port to bind; 0 picks a free one (`--port`).
    pub port: u16,
    /// Per-provider keys.
    pub keys: Keys,
    /// Content chunks per stream; `None` means one chunk per token (`--stream-chunks`).
    pub stream_chunks: Option<usize>,
    /// Delay between stream events (`--chunk-delay-ms`).
    pub chunk_delay: Duration,
    /// Requests per minute per provider and key before a 429; 0 disables (`--rate-limit-rpm`).
    pub rate_limit_rpm: u32,
    /// Largest accepted request body in bytes (`--max-body-bytes`).
    pub max_body_bytes: usize,
    /// Largest accepted uploaded file in bytes (`--max-file-bytes`).
    pub max_file_bytes: usize,
    /// Most files kept in the in-memory store (`--max-files`).
    pub max_files: usize,
    /// Entries kept by the request log (`--log-capacity`).
    pub log_capacity: usize,
    /// Polls of a suno clip answered `generating` before `finished` (`--suno-polls`).
    pub suno_generating_polls: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            keys: Keys::default(),
            stream_chunks: None,
            chunk_delay: Duration::ZERO,
            rate_limit_rpm: 0,
            max_body_bytes: 2 * 1024 * 1024,
            max_file_bytes: 1024 * 1024,
            max_files: 256,
            log_capacity: 1000,
            suno_generating_polls: 1,
        }
    }
}

/// Help text printed by `--help`.
pub const USAGE: &str =
    "switchboard-sim: simulator of the SECRY, Secton, airforce, Siraya and Gemini-proxy APIs

USAGE: switchboard-sim [FLAGS]

  --port N              port on 127.0.0.1 (default 0 = any free port)
  --host ADDR           bind address (default 127.0.0.1)
  --secry-key K         key for /secry     (env SIM_SECRY_KEY,    default sk-sim-secry)
  --secton-key K        key for /secton    (env SIM_SECTON_KEY,   default sk-sim-secton)
  --airforce-key K      key for /airforce  (env SIM_AIRFORCE_KEY, default sk-sim-airforce)
  --siraya-key K        key for /siraya    (env SIM_SIRAYA_KEY,   default sk-sim-siraya)
  --gemini-key K        key for /gemini-proxy (env SIM_GEMINI_KEY, default sk-sim-gemini)
  --stream-chunks N     content chunks per stream (default: one per token)
  --chunk-delay-ms MS   delay between stream events (default 0)
  --rate-limit-rpm N    requests/minute per provider and key before 429 (default 0 = off)
  --max-body-bytes N    request body cap (default 2097152)
  --max-file-bytes N    uploaded file cap (default 1048576)
  --max-files N         files kept in memory (default 256)
  --log-capacity N      request log ring size (default 1000)
  --suno-polls N        polls answered 'generating' before 'finished' (default 1)
";

impl Config {
    /// Reads environment variables, then flags (flags win). `Err` carries a message for the user.
    pub fn from_env_and_args<I: IntoIterator<Item = String>>(
        env: impl Fn(&str) -> Option<String>,
        args: I,
    ) -> Result<Self, String> {
        let mut c = Config::default();
        for (var, slot) in [
            ("SIM_SECRY_KEY", &mut c.keys.secry),
            ("SIM_SECTON_KEY", &mut c.keys.secton),
            ("SIM_AIRFORCE_KEY", &mut c.keys.airforce),
            ("SIM_SIRAYA_KEY", &mut c.keys.siraya),
            ("SIM_GEMINI_KEY", &mut c.keys.gemini),
        ] {
            if let Some(v) = env(var).filter(|v| !v.is_empty()) {
                *slot = v;
            }
        }
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                return Err(USAGE.to_string());
            }
            let value = args
                .next()
                .ok_or_else(|| format!("missing value for {flag}\n\n{USAGE}"))?;
            let num = |v: &str| -> Result<u64, String> {
                v.parse::<u64>()
                    .map_err(|_| format!("{flag} wants a number, got {v:?}"))
            };
            match flag.as_str() {
                "--port" => {
                    c.port = u16::try_from(num(&value)?).map_err(|_| "port out of range")?
                }
                "--host" => c.host = value,
                "--secry-key" => c.keys.secry = value,
                "--secton-key" => c.keys.secton = value,
                "--airforce-key" => c.keys.airforce = value,
                "--siraya-key" => c.keys.siraya = value,
                "--gemini-key" => c.keys.gemini = value,
                "--stream-chunks" => {
                    c.stream_chunks = Some(num(&value)?.clamp(1, 100_000) as usize)
                }
                "--chunk-delay-ms" => c.chunk_delay = Duration::from_millis(num(&value)?),
                "--rate-limit-rpm" => c.rate_limit_rpm = num(&value)?.min(u32::MAX as u64) as u32,
                "--max-body-bytes" => c.max_body_bytes = num(&value)? as usize,
                "--max-file-bytes" => c.max_file_bytes = num(&value)? as usize,
                "--max-files" => c.max_files = num(&value)? as usize,
                "--log-capacity" => c.log_capacity = num(&value)? as usize,
                "--suno-polls" => c.suno_generating_polls = num(&value)?.min(1000) as u32,
                other => return Err(format!("unknown flag {other}\n\n{USAGE}")),
            }
        }
        Ok(c)
    }
}
