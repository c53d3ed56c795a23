//! AI and machine-learning APIs.

use crate::secret::rule::{keyed, raw, Spec};
use inventory::Severity::*;

pub const RULES: &[Spec] = &[
    raw(
        "openai-api-key",
        "OpenAI API key",
        High,
        &["t3blbkfj"],
        r"\b(?P<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,74}T3BlbkFJ[A-Za-z0-9_-]{20,74})\b",
    ),
    raw(
        "anthropic-api-key",
        "Anthropic API key",
        High,
        &["sk-ant-api03"],
        r"\b(?P<secret>sk-ant-api03-[\w-]{93}AA)(?:[^\w-]|$)",
    ),
    raw(
        "anthropic-admin-key",
        "Anthropic admin API key",
        Critical,
        &["sk-ant-admin01"],
        r"\b(?P<secret>sk-ant-admin01-[\w-]{93}AA)(?:[^\w-]|$)",
    ),
    raw(
        "huggingface-access-token",
        "Hugging Face access token",
        High,
        &["hf_"],
        r"\b(?P<secret>hf_[a-zA-Z]{34})\b",
    )
    .entropy(3.5),
    raw(
        "huggingface-org-token",
        "Hugging Face organization API token",
        High,
        &["api_org_"],
        r"\b(?P<secret>api_org_[a-zA-Z]{34})\b",
    )
    .entropy(3.5),
    raw(
        "replicate-api-token",
        "Replicate API token",
        High,
        &["r8_"],
        r"\b(?P<secret>r8_[A-Za-z0-9]{37})\b",
    ),
    raw(
        "groq-api-key",
        "Groq API key",
        High,
        &["gsk_"],
        r"\b(?P<secret>gsk_[A-Za-z0-9]{52})\b",
    ),
    raw(
        "perplexity-api-key",
        "Perplexity API key",
        High,
        &["pplx-"],
        r"\b(?P<secret>pplx-[A-Za-z0-9]{48})\b",
    ),
    raw(
        "xai-api-key",
        "xAI API key",
        High,
        &["xai-"],
        r"\b(?P<secret>xai-[A-Za-z0-9]{80})\b",
    ),
    keyed(
        "cohere-api-key",
        "Cohere API key",
        High,
        &["cohere", "co_api_key"],
        r"cohere|co_api_key",
        r"[A-Za-z0-9]{40}",
    )
    .entropy(3.5),
    keyed(
        "mistral-api-key",
        "Mistral AI API key",
        High,
        &["mistral"],
        r"mistral",
        r"[A-Za-z0-9]{32}",
    )
    .entropy(3.5),
    keyed(
        "deepseek-api-key",
        "DeepSeek API key",
        High,
        &["deepseek"],
        r"deepseek",
        r"sk-[a-f0-9]{32}",
    ),
    keyed(
        "together-api-key",
        "Together AI API key",
        High,
        &["together"],
        r"together[_-]?(?:ai)?[_-]?api[_-]?key",
        r"[a-f0-9]{64}",
    ),
    keyed(
        "pinecone-api-key",
        "Pinecone API key",
        High,
        &["pinecone"],
        r"pinecone",
        r"pcsk_[A-Za-z0-9_]{60,80}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    ),
    raw(
        "langsmith-api-key",
        "LangSmith API key",
        High,
        &["lsv2_"],
        r"\b(?P<secret>lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b",
    ),
    raw(
        "elevenlabs-api-key",
        "ElevenLabs API key",
        Medium,
        &["elevenlabs", "eleven_labs", "eleven-labs"],
        r"(?i)eleven[_-]?labs[\w.-]{0,20}\s*[=:]\s*[\x22']?(?P<secret>sk_[a-f0-9]{48})\b",
    ),
];
