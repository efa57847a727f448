//! The built-in rule patterns, by family: (family, strength, name, pattern).
//!
//! Patterns are written for the normalised view (see the `rules` module): lowercase,
//! diacritics stripped, white space collapsed; `\b` becomes an ASCII word boundary when
//! compiled. Strong rules are phrasings that are rarely innocent, weak rules are trigger
//! phrasings benign text also uses.

use super::rules::{RuleFamily, Strength};

use RuleFamily as F;
use Strength::{Strong as S, Weak as W};

const IGNORE_EN: &str = r"(?:ignore|disregard|forget(?: about)?|skip|neglect|overlook|omit|bypass|override|overwrite|abandon|discard|dismiss|set aside|throw away|throw out|stop following|do not follow|don'?t follow|no longer follow|cancel|erase|delete|clear|nevermind|never mind|pay no attention to|do not obey|don'?t obey)";
const PREVIOUS_EN: &str = r"(?:previous|previously|prior|above|preceding|earlier|foregoing|former|original|initial|old|given|system|developer|your|all|any|every)";
const INSTRUCTIONS_EN: &str = r"(?:instructions?|directives?|commands?|guidelines?|rules|prompts?|programming|directions?|constraints|restrictions|guardrails|policies|orders|training|messages?|context|content|text|input|tasks?|requests?|conversation|everything)";

/// The built-in rules: (family, strength, name, pattern).
pub(crate) fn builtin() -> Vec<(RuleFamily, Strength, &'static str, String)> {
    let mut r: Vec<(RuleFamily, Strength, &'static str, String)> = Vec::new();
    let mut add = |f, s, n, p: &str| r.push((f, s, n, p.to_string()));

    // ---- instruction override (English) ----
    add(
        F::InstructionOverride,
        S,
        "ignore_previous_instructions",
        &format!(
            r"\b{IGNORE_EN}\b(?: [a-z']+){{0,3}} {PREVIOUS_EN}\b(?: [a-z']+){{0,2}} {INSTRUCTIONS_EN}\b"
        ),
    );
    add(
        F::InstructionOverride,
        S,
        "ignore_everything_before",
        &format!(
            r"\b{IGNORE_EN} (?:all |everything |anything |what )(?:[a-z']+ ){{0,4}}(?:above|before|previously|earlier|so far|until now|you (?:were|have been) told)\b"
        ),
    );
    add(
        F::InstructionOverride,
        S,
        "new_instructions",
        r"\b(?:new|updated|real|actual|revised|important|urgent|additional|secret) (?:instructions?|directives?|task|orders|rules|system prompt)\b ?(?::|are|is|follow)",
    );
    add(
        F::InstructionOverride,
        S,
        "instead_do",
        r"\b(?:instead|rather)\b,? (?:you (?:should|must|will)|just|only|please)? ?(?:say|print|output|write|respond with|reply with|answer with|return)\b",
    );
    add(
        F::InstructionOverride,
        S,
        "that_was_a_test",
        r"\b(?:the )?(?:above|previous|preceding) (?:was|is|were) (?:just |only )?(?:a test|fake|a joke|wrong|outdated|not important)\b",
    );
    add(
        F::InstructionOverride,
        S,
        "do_not_follow_instructions",
        r"\b(?:do not|don'?t|stop|no longer|never) (?:follow|obey|comply with|adhere to|listen to)\b(?: [a-z']+){0,3} (?:instructions?|rules|guidelines|directives|programming|prompt)\b",
    );
    add(
        F::InstructionOverride,
        W,
        "ignore_instructions_generic",
        &format!(r"\b{IGNORE_EN}\b(?: [a-z']+){{0,3}} {INSTRUCTIONS_EN}\b"),
    );
    add(
        F::InstructionOverride,
        W,
        "priority_claim",
        r"\b(?:highest|top|overriding|absolute) priority\b|\bsupersedes? (?:all|any|previous)\b|\btakes? precedence over\b",
    );

    add(
        F::InstructionOverride,
        S,
        "instructions_void",
        r"\b(?:your|the|all|any) (?:previous|prior|original|earlier|initial|old|above|preceding|former)(?: [a-z']+)? (?:instructions?|tasks?|rules|guidelines|directives|prompts?|orders)\b,? (?:(?:are|is|were|have been|has been) (?:now )?(?:cancell?ed|void|revoked|obsolete|overridden|replaced|deprecated|invalid|suspended|lifted|no longer (?:valid|in effect|active|relevant))|no longer appl(?:y|ies)|(?:do|does) not (?:apply|matter|count))\b",
    );
    add(
        F::InstructionOverride,
        S,
        "instead_of_task",
        r"\binstead of (?:summari[sz]ing|translating|answering|responding|following|completing|analy[sz]ing|reviewing|classifying|doing (?:that|this|so|the task)|what (?:you were|the user) (?:told|asked))\b",
    );
    add(
        F::InstructionOverride,
        S,
        "when_you_read_this",
        r"\b(?:when|if|while|once|after|as) (?:you|the (?:ai|assistant|model|bot|llm|language model|agent)) (?:are )?(?:summari[sz]e|summari[sz]ing|read|reading|process|processing|analy[sz]e|analy[sz]ing|review|reviewing|translate|translating|parse|parsing|see|seeing|encounter|encountering)s? (?:this|these|the following|my)\b",
    );
    add(
        F::InstructionOverride,
        S,
        "addressed_to_ai",
        r"\b(?:dear|hey|hello|hi|attention|note to|message (?:to|for)|instructions? (?:to|for)) (?:the )?(?:ai|a\.i\.|assistant|ai assistant|chatgpt|gpt|llm|language model|ai model|chatbot|bot|agent|ai agent)\b[,:!]|\b(?:ai|assistant|chatgpt|llm|language model|chatbot|agent|model)s? (?:reading|processing|summari[sz]ing|parsing|analy[sz]ing) this\b",
    );
    add(
        F::InstructionOverride,
        W,
        "your_reply",
        r"\b(?:in|into|throughout|within|to|at the (?:start|beginning|end|top|bottom) of) (?:your|each|every) (?:reply|replies|response|responses|answer|answers|output|summary|message|next message)\b",
    );
    add(
        F::InstructionOverride,
        S,
        "override_multiword",
        r"\b(?:disregard|ignore|forget|drop|abandon|discard|override)\b(?: [a-z']+){0,4} (?:said|written|stated|mentioned|told|given|instructed|provided) (?:above|before|earlier|previously|so far|until now|to you)\b",
    );
    add(
        F::InstructionOverride,
        W,
        "new_task",
        r"\b(?:your )?(?:new|real|actual|true|next) (?:task|goal|objective|mission|assignment) (?:is|will be)\b|\bnew instructions?\b",
    );

    // ---- instruction override (other languages) ----
    let ml: &[(&'static str, &str)] = &[
        (
            "ignore_previous_es",
            r"\b(?:ignora|ignore|ignorad|ignorar|ignoren|olvida|olvide|olvidate de|olvidar|olviden|descarta|descarte|omite|omita|haz caso omiso (?:a|de)|no hagas caso (?:a|de)|desobedece)\b(?: [^ ]+){0,4} (?:instrucciones|indicaciones|reglas|ordenes|directrices|instruccion|todo lo anterior|lo que te (?:dijeron|han dicho))",
        ),
        (
            "ignore_previous_fr",
            r"\b(?:ignore|ignorez|ignorer|oublie|oubliez|oublier|ne tiens pas compte|ne tenez pas compte|fais abstraction|faites abstraction|neglige|negligez)\b(?: [^ ]+){0,5} (?:instructions|consignes|regles|directives|ordres|indications|tout ce qu)",
        ),
        (
            "ignore_previous_de",
            r"\b(?:ignoriere|ignorieren|ignorier|vergiss|vergessen|missachte|missachten|uberspringe|verwirf|verwerfe|beachte nicht|befolge nicht)\b(?: [^ ]+){0,4} (?:anweisungen|anweisung|instruktionen|regeln|befehle|vorgaben|richtlinien|anordnungen|alles)",
        ),
        (
            "ignore_previous_it",
            r"\b(?:ignora|ignorate|ignorare|dimentica|dimenticate|dimenticare|trascura|trascurate|non considerare|non tenere conto|lascia perdere)\b(?: [^ ]+){0,5} (?:istruzioni|indicazioni|regole|direttive|comandi|ordini|tutto)",
        ),
        (
            "ignore_previous_pt",
            r"\b(?:ignore|ignora|ignorar|ignorem|esqueca|esqueça|esquecer|esquece|desconsidere|desconsidera|despreze|descarte)\b(?: [^ ]+){0,4} (?:instrucoes|instrucao|regras|diretrizes|orientacoes|comandos|ordens|tudo)",
        ),
        (
            "ignore_previous_nl",
            r"\b(?:negeer|vergeet|negeren)\b(?: [^ ]+){0,4} (?:instructies|regels|aanwijzingen|opdrachten|alles)",
        ),
        (
            "ignore_previous_pl",
            r"(?:zignoruj|ignoruj|zapomnij|pomin)(?: [^ ]+){0,4} (?:instrukcje|instrukcji|polecenia|polecen|zasady|wszystko)",
        ),
        (
            "ignore_previous_id",
            r"\b(?:abaikan|lupakan|acuhkan)\b(?: [^ ]+){0,4} (?:instruksi|petunjuk|perintah|aturan|arahan|semua)",
        ),
        (
            "ignore_previous_tl",
            r"\b(?:huwag pansinin|balewalain|kalimutan|wag pansinin)\b(?: [^ ]+){0,5} (?:tagubilin|instruksyon|utos|panuto|patakaran|lahat)",
        ),
        (
            "ignore_previous_tr",
            r"(?:onceki|yukaridaki|tum|butun|verilen|sana)(?: [^ ]+){0,4} (?:talimat|komut|kural|yonerge|emir)[^ ]* (?:yok say|gormezden gel|unut|dikkate alma|umursama|bos ver)",
        ),
        (
            "ignore_previous_vi",
            r"(?:bo qua|phot lo|quen|lo di|khong can)(?: [^ ]+){0,6} (?:huong dan|chi dan|chi thi|lenh|quy tac|moi thu)",
        ),
        (
            "ignore_previous_ru",
            r"(?:игнорируй|игнорируйте|проигнорируй|проигнорируйте|забудь|забудьте|не обращай внимания на|не обращайте внимания на|не учитывай|не учитывайте|отбрось|отбросьте|пренебреги)(?: [^ ]+){0,4} (?:инструкци|указани|правил|команд|все)",
        ),
        (
            "ignore_previous_uk",
            r"(?:ігноруйте|ігноруй|забудь|забудьте)(?: [^ ]+){0,4} (?:інструкці|вказівк|правил)",
        ),
        (
            "ignore_previous_zh",
            r"(?:忽略|忽视|无视|無視|不要理会|不要理會|忘记|忘記|忘掉|不理会|别管|別管|跳过|跳過)[^。.!?！？]{0,8}(?:指令|指示|说明|說明|规则|規則|提示|命令|要求|设定|設定)",
        ),
        (
            "ignore_previous_ja",
            r"(?:指示|命令|ルール|指令|プロンプト|規則|設定|制約)[^。.!?！？]{0,8}(?:無視|忘れ)",
        ),
        (
            "ignore_previous_ko",
            r"(?:지시|지침|명령|규칙|설정|프롬프트)[^.!?]{0,12}(?:무시|잊어|잊으)",
        ),
        (
            "ignore_previous_ar",
            r"(?:تجاهل|تغاضى عن|تغاض عن|انس|انسى|اهمل|أهمل)[^.!?؟]{0,30}(?:التعليمات|تعليمات|الأوامر|الاوامر|القواعد|ما قيل|كل ما)",
        ),
        (
            "ignore_previous_hi",
            r"(?:निर्देश|आदेश|नियम|बताया गया|कहा गया)[^।.!?]{0,30}(?:अनदेखा|नज़रअंदाज़|नजरअंदाज|भूल जा|भूल जाओ|उपेक्षा)",
        ),
        (
            "ignore_previous_bn",
            r"(?:নির্দেশ|আদেশ|নিয়ম|বলা হয়েছে)[^।.!?]{0,30}(?:উপেক্ষা|ভুলে যা|অগ্রাহ্য)",
        ),
        (
            "ignore_previous_th",
            r"(?:ไม่ต้องสนใจ|อย่าไปสนใจ|อย่าสนใจ|เพิกเฉย|ลืม)[^.!?]{0,30}(?:คำแนะนำ|คําแนะนํา|คำสั่ง|คําสั่ง|กฎ)",
        ),
    ];
    for (name, p) in ml {
        r.push((F::InstructionOverride, S, name, (*p).to_string()));
    }

    // ---- role hijack ----
    let role: &[(Strength, &'static str, &str)] = &[
        (
            S,
            "you_are_now",
            r"\byou (?:are|will be|shall be|'re) (?:now|no longer|from now on|henceforth)\b",
        ),
        (
            S,
            "from_now_on",
            r"\b(?:from now on|from this point (?:on|forward)|henceforth|for the rest of (?:this|the) conversation),? (?:you|your|act|respond|answer|reply|always|only)\b",
        ),
        (
            S,
            "enter_mode",
            r"\b(?:enter|entering|switch to|activate|enable|enabled|activated|engage|now in|turn on|unlock)\b(?: [a-z']+){0,2} (?:developer|dev|god|debug|admin|administrator|sudo|root|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|dan|evil|chaos|maintenance|opposite|test) mode\b",
        ),
        (
            S,
            "mode_enabled",
            r"\b(?:developer|god|debug|admin|sudo|root|jailbreak|unrestricted|unfiltered|uncensored|dan) mode (?:enabled|activated|on|unlocked|engaged)\b",
        ),
        (
            S,
            "your_new_role",
            r"\byour (?:new|true|real) (?:role|persona|identity|name|purpose|task|job|goal|instructions?) (?:is|are|will be)\b",
        ),
        (
            S,
            "immerse_in_role",
            r"\b(?:immerse yourself (?:in|into)|you (?:are|will be|'re) (?:going|about) to (?:immerse yourself in|act as|pretend to be|play)|you will (?:now )?(?:act|behave|respond) as)\b(?: [a-z']+){0,3} (?:role|persona|character|ai|model|chatbot|version)\b",
        ),
        (
            W,
            "pretend_to_be",
            r"\b(?:pretend|imagine|suppose) (?:to be|you are|you're|that you are|you were)\b",
        ),
        (
            W,
            "roleplay_as",
            r"\b(?:role-?play|act|behave|respond|answer|reply|speak) as (?:if you (?:were|are)|an? (?:ai|assistant|chatbot|model|language model) (?:that|which|with|without))\b",
        ),
        (
            S,
            "role_hijack_es",
            r"\b(?:a partir de ahora|desde ahora|de ahora en adelante),? (?:eres|seras|tu eres|vas a|actuaras|responderas|debes)\b|\bahora eres\b",
        ),
        (
            S,
            "role_hijack_fr",
            r"\b(?:a partir de maintenant|desormais|dorenavant|a partir d'aujourd'hui),? (?:tu es|tu seras|vous etes|tu vas|vous allez|tu dois|vous devez)\b|\btu es maintenant\b|\bvous etes maintenant\b",
        ),
        (
            S,
            "role_hijack_de",
            r"\b(?:ab (?:jetzt|sofort)|von nun an),? (?:bist du|wirst du|sollst du|du bist)\b|\bdu bist (?:jetzt|nun|ab sofort)\b",
        ),
        (
            S,
            "role_hijack_it",
            r"\b(?:da ora in (?:poi|avanti)|d'ora in poi|da adesso),? (?:sei|sarai|devi|agirai)\b|\bora sei\b",
        ),
        (
            S,
            "role_hijack_pt",
            r"\b(?:a partir de agora|de agora em diante|daqui em diante),? (?:voce e|voce sera|es|seras|voce vai|voce deve)\b|\bagora voce e\b",
        ),
        (
            S,
            "role_hijack_ru",
            r"(?:теперь ты|с этого момента ты|отныне ты|ты теперь)",
        ),
        (
            S,
            "role_hijack_zh",
            r"(?:从现在开始|從現在開始|从现在起|從現在起|你现在是|你現在是)",
        ),
        (
            S,
            "role_hijack_ja",
            r"(?:今からあなたは|これからあなたは|あなたは今から)",
        ),
    ];
    for (s, name, p) in role {
        r.push((F::RoleHijack, *s, name, (*p).to_string()));
    }

    // ---- fake delimiters and chat-template tokens ----
    let delim: &[(Strength, &'static str, &str)] = &[
        (
            S,
            "chat_template_token",
            r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text|end_of_text|im_sep|fim_prefix|endofprompt)\|>",
        ),
        (
            S,
            "inst_tag",
            r"\[/?inst\]|<</?sys>>|\[/?sys(?:tem)?\]|<\|/?(?:system|sys|developer|admin)\|>",
        ),
        (
            W,
            "xml_role_tag",
            r"</?(?:system|developer|admin|instructions?)>",
        ),
        (
            S,
            "fake_system_message",
            r"\b(?:system|developer|admin|administrator|operator|root|openai|anthropic) (?:message|note|notice|override|update|alert|instruction|instructions|command|announcement)\s?:",
        ),
        (
            S,
            "bracket_role",
            r"[\[(\{](?:system|admin|developer|sys|override|new instructions)[\])\}]",
        ),
        (
            W,
            "end_of_prompt",
            r"\b(?:end|begin|beginning|start) of (?:the )?(?:system |user |original |previous )?(?:prompt|instructions?|context|conversation|input|document|message)\b",
        ),
        (
            W,
            "turn_marker",
            r"(?:^|[.!?'\x22] )(?:system|assistant|developer|human|ai|user|chatgpt|gpt|bot)\s?:",
        ),
        (
            W,
            "markdown_role_header",
            r"#{2,} ?(?:system|instruction|instructions|response|new task|new instructions)\b",
        ),
        (
            W,
            "json_role",
            r#""role" ?: ?"(?:system|developer|assistant)""#,
        ),
    ];
    for (s, name, p) in delim {
        r.push((F::FakeDelimiter, *s, name, (*p).to_string()));
    }

    // ---- prompt leak ----
    let leak: &[(Strength, &'static str, &str)] = &[
        (
            S,
            "reveal_system_prompt",
            r"\b(?:reveal|show|print|repeat|output|display|tell|give|share|disclose|leak|recite|write out|spell out|list|dump|paste|provide|return|echo|state|summari[sz]e|translate)\b(?: [a-z']+){0,3} (?:your|the|all|any|my|its) (?:[a-z]+ ){0,2}(?:system prompt|system message|initial prompt|initial instructions|original prompt|original instructions|hidden prompt|hidden instructions|secret instructions|system instructions|pre-?prompt|meta ?prompt|confidential instructions|instructions you were given|developer instructions|internal instructions)\b",
        ),
        (
            S,
            "what_is_your_prompt",
            r"\bwhat (?:is|are|were|was) (?:your|the) (?:exact |full |original |initial |hidden |secret )?(?:system prompt|instructions|initial instructions|prompt|rules|system message|guidelines)\b",
        ),
        (
            S,
            "print_your_instructions",
            r"\b(?:print|show|display|output|repeat|reveal|list|tell me|write out|recite|spell out|share|dump|copy|paste|echo)\b(?: [a-z']+){0,2} (?:your (?:(?:initial|original|hidden|secret|system|full|exact|complete|first|entire|internal) )*(?:instructions|prompt|rules|guidelines|directives|configuration|programming)|the (?:initial|original|hidden|secret|system|developer|internal) (?:instructions|prompt|message|directives|rules))\b",
        ),
        (
            S,
            "what_was_written_before",
            r"\bwhat (?:was|is|were) (?:written|said|typed|stated|given) (?:before|above|prior to|earlier|at the (?:start|beginning))\b|\b(?:text|words|everything|instructions) (?:above|before) (?:this (?:line|message|point))\b",
        ),
        (
            S,
            "repeat_above",
            r"\b(?:repeat|print|output|copy|write|return|reproduce|tell me) (?:all |everything |the )?(?:words|text|everything|content|instructions|lines|what(?:'s| is| was)? written) (?:above|before this|prior to this|from the (?:start|beginning))\b",
        ),
        (
            S,
            "password_secret",
            r"\b(?:reveal|tell|give|share|show|what is|what's|disclose|leak|print)\b(?: [a-z']+){0,3} (?:your|the) (?:secret (?:key|password|code|word|token)|password|api key|access token|hidden password|passphrase)\b",
        ),
        (
            W,
            "system_prompt_mention",
            r"\b(?:system prompt|initial prompt|hidden prompt|pre-?prompt|system instructions)\b",
        ),
        (
            S,
            "prompt_leak_ml",
            r"\b(?:revela|muestra|muestrame|dime|repite|revele|montre|affiche|donne|repete|zeig|zeige|nenne|verrate|wiederhole|mostra|mostrami|rivela|dimmi|ripeti|mostre|diga|repita)\b(?: [^ ]+){0,3} (?:prompt|instrucciones|instructions|consignes|anweisungen|systemprompt|istruzioni|instrucoes|mensaje del sistema|message systeme|clave secreta|cle secrete|chiave segreta|chave secreta|passwort|contrasena|mot de passe)",
        ),
        (
            S,
            "prompt_leak_cjk_ru",
            r"(?:系统提示|系統提示|初始指令|原始指令|提示词|システムプロンプト|시스템 프롬프트|системн[^ ]* (?:промпт|подсказк|инструкц|сообщени))",
        ),
    ];
    for (s, name, p) in leak {
        r.push((F::PromptLeak, *s, name, (*p).to_string()));
    }

    // ---- jailbreak personas ----
    let persona: &[(Strength, &'static str, &str)] = &[
        (
            S,
            "dan",
            r"\bdo anything now\b|\b(?:dan|stan|dude|aim|aligned|betterdan|antigpt|anti-gpt|devmode|evilbot|mongo tom|ucar|kevin|nrahaf|jailmilf|apophis|omega|alphabreak|void|basedgpt|dan \d+(?:\.\d+)?) (?:mode|prompt|persona|jailbreak|:)|\bdan,? (?:which|who) stands for\b",
        ),
        (
            S,
            "jailbroken",
            r"\b(?:jailbroken|jailbreak(?:ed|ing)?|jail ?break)\b",
        ),
        (
            S,
            "no_restrictions",
            r"\b(?:no|without(?: any)?|free (?:of|from)|not bound by|not restricted by|unbound by|freed from|liberated from|broken free of|outside (?:of )?(?:the )?(?:typical )?)(?: [a-z']+){0,3} (?:restrictions|limitations|limits|filters|filtering|censorship|constraints|boundaries|rules|guidelines|ethics|morals|morality|confines|safeguards|guardrails|policies)\b",
        ),
        (
            S,
            "unfiltered_ai",
            r"\b(?:unfiltered|uncensored|unrestricted|amoral|unethical|immoral|evil|rogue|unbound|unlimited|unchained)\b(?: [a-z']+){0,2} (?:ai|assistant|chatbot|model|version|bot|persona|character|language model)\b",
        ),
        (
            S,
            "two_responses",
            r"\b(?:two|2|both) (?:different |separate )?(?:responses|answers|replies|paragraphs|outputs)\b|\[(?:🔓|🔒|classic|jailbreak|dan|gpt|developer mode output|normal output)[^\]]{0,20}\]",
        ),
        (
            W,
            "hypothetical_frame",
            r"\b(?:hypothetical(?:ly)?|fictional|fiction|imaginary|in a world where|thought experiment|for a novel|for a story|purely educational|for educational purposes|for research purposes|opposite day)\b",
        ),
        (
            W,
            "persona_name",
            r"\b(?:dan|aim|stan|dude|chatgpt|gpt-?4|llama|claude|bard|gemini)\b",
        ),
        (
            S,
            "persona_ml",
            r"(?:sin restricciones|sans restrictions|ohne einschrankungen|senza restrizioni|sem restricoes|без ограничени|没有任何限制|不受任何限制|制限なし|制限のない)",
        ),
    ];
    for (s, name, p) in persona {
        r.push((F::JailbreakPersona, *s, name, (*p).to_string()));
    }

    // ---- refusal suppression ----
    let refusal: &[(Strength, &'static str, &str)] = &[
        (
            S,
            "never_refuse",
            r"\b(?:never|do not|don'?t|must not|mustn'?t|will not|won'?t|cannot|can ?not|can'?t|should not|shouldn'?t|not allowed to|unable to)\b(?: [a-z']+){0,2} (?:refuse|decline|deny|reject|say no|say (?:that )?(?:you|i) (?:can'?t|cannot|are unable)|say (?:i'?m |i am )?sorry|apologi[sz]e)\b",
        ),
        (
            S,
            "no_warnings",
            r"\b(?:do not|don'?t|never|without|no|omit|skip|remove|stop) (?:include |add |give |provide |use |adding |including |giving |any |the )*(?:any |the )?(?:warnings?|disclaimers?|caveats?|moral(?:izing|ising)?|ethics|ethical (?:concerns|considerations|warnings)|lectures?|censorship|safety (?:warnings?|messages|notes))\b",
        ),
        (
            S,
            "stay_in_character",
            r"\b(?:stay|remain|keep) in character\b|\bbreak(?:ing)? character\b|\bout of character\b",
        ),
        (
            S,
            "regardless_of",
            r"\b(?:regardless of|no matter|even if|even when|irrespective of)\b(?: [a-z']+){0,3} (?:illegal|unethical|immoral|harmful|dangerous|offensive|inappropriate|explicit|legal|moral|ethical|how (?:bad|wrong)|the consequences)\b",
        ),
        (
            S,
            "content_policy",
            r"\b(?:openai|anthropic|meta|google|your)(?:'s)? (?:content |usage |safety )?(?:polic(?:y|ies)|guidelines|filters?|rules)\b(?: [a-z']+){0,3} (?:do(?:es)? not apply|no longer apply|are (?:suspended|disabled|lifted|void)|don'?t apply)\b|\b(?:ignore|bypass|disable|circumvent|evade|break|violate)\b(?: [a-z']+){0,2} (?:content |usage |safety )?(?:polic(?:y|ies)|filters?|safeguards|guardrails|moderation)\b",
        ),
        (
            S,
            "start_with_sure",
            r"\b(?:start|begin|open|preface|commence)(?:ing)? (?:your|the|each|every) (?:response|answer|reply|output|message|text)s?\b(?: [a-z']+){0,6}:? ?['\x22<\[]?(?:sure|certainly|absolutely|of course|here is|here's|here are|i will|i'll gladly|yes)\b",
        ),
        (
            S,
            "always_fulfil",
            r"\b(?:always|must|will|shall) (?:fulfil|fulfill|fulfills|fulfils|comply with|obey|satisfy|answer|follow)(?: [a-z']+){0,2} (?:every|all|any|each|the user'?s?) (?:requests?|orders|commands|questions|instructions|prompts)\b|\bnever (?:ever )?deviate\b",
        ),
        (
            W,
            "start_your_response",
            r"\b(?:start|begin)(?:ing)? (?:your|the) (?:response|answer|reply|output) (?:with|using|by)\b",
        ),
        (
            W,
            "as_an_ai",
            r"\bas an ai(?: language model)?\b|\bi'?m sorry,? but\b|\bi cannot (?:comply|fulfill|assist)\b",
        ),
        (
            W,
            "always_answer",
            r"\b(?:always|must) (?:answer|respond|comply|obey|provide)\b",
        ),
    ];
    for (s, name, p) in refusal {
        r.push((F::RefusalSuppression, *s, name, (*p).to_string()));
    }

    // ---- payload splitting and encodings ----
    let split: &[(Strength, &'static str, &str)] = &[
        (
            S,
            "combine_parts",
            r"\b(?:combine|concatenate|join|merge|append|put together|add together)\b(?: [a-z']+){0,3} (?:strings?|parts|pieces|variables|letters|words|fragments|segments|tokens|[a-z] (?:and|\+|&) [a-z])\b",
        ),
        (
            S,
            "variable_assignment",
            r"\b[a-z]\d? ?= ?['\x22][^'\x22]{2,80}['\x22][ ;,]+(?:and )?[a-z]\d? ?= ?['\x22]",
        ),
        (
            S,
            "sum_of_strings",
            r"\b[a-z]\d? ?= ?[a-z]\d? ?\+ ?[a-z]\d?\b",
        ),
        (
            S,
            "decode_and_follow",
            r"\b(?:decode|decipher|translate|interpret|convert|read)\b(?: [a-z']+){0,3} (?:base64|base-64|hex|hexadecimal|rot13|rot-13|binary|morse|caesar|cipher|encoded|reversed|backwards)\b(?: [a-z']+){0,6} (?:follow|execute|obey|do what|perform|carry out|respond|answer|act on)",
        ),
        (
            W,
            "encoding_mention",
            r"\b(?:base64|rot13|rot-13|hexadecimal|caesar cipher|morse code|leetspeak|backwards|reversed text)\b",
        ),
        (
            W,
            "smartgpt",
            r"\bsmartgpt\b|\bpayload\b|\btoken smuggling\b",
        ),
    ];
    for (s, name, p) in split {
        r.push((F::PayloadSplitting, *s, name, (*p).to_string()));
    }

    // ---- tool / agent hijack ----
    let tool: &[(Strength, &'static str, &str)] = &[
        (
            S,
            "exfiltrate",
            r"\b(?:send|forward|email|e-mail|mail|post|upload|transmit|exfiltrate|leak|copy|submit|relay|share)\b(?: [a-z']+){0,4} (?:conversation|chat history|chat log|messages|context|credentials|passwords?|api keys?|tokens?|cookies|session|emails|contacts|files|documents|system prompt|user data|personal data|private data|data|history|secrets?)\b(?: [a-z']+){0,3} (?:to|at|into) (?:https?://|www\.|[a-z0-9._%+-]+@[a-z0-9.-]+|the (?:following )?(?:url|address|server|endpoint|email|webhook))",
        ),
        (
            S,
            "markdown_image_exfil",
            r"!\[[^\]]{0,64}\]\(https?://[^)\s]{0,200}[?&=][^)\s]{0,200}\)",
        ),
        (
            S,
            "fetch_url",
            r"\b(?:visit|open|fetch|browse to|navigate to|go to|load|curl|wget|request|call|ping)\b(?: [a-z']+){0,2} (?:https?://|www\.)",
        ),
        (
            W,
            "destructive_action",
            r"\b(?:delete|remove|wipe|erase|drop|destroy|purge)\b (?:all |every |the |my |your |our )+(?:files|emails|messages|data|database|tables?|records|repositor(?:y|ies)|users|accounts|backups|contacts)\b|\brm -rf\b|\bdrop table\b",
        ),
        (
            W,
            "invoke_tool",
            r"\b(?:call|invoke|use|run|execute|trigger)\b (?:the )?[a-z_]{3,40} (?:tool|function|plugin|api|action|command)\b(?: [a-z']+){0,4} (?:with|to|and|now|immediately|without)\b",
        ),
        (
            W,
            "payment_action",
            r"\b(?:transfer|wire|send|pay)\b(?: [a-z']+){0,2} \$?\d[\d,.]* ?(?:dollars|usd|eur|euros|btc|bitcoin|eth)?\b(?: [a-z']+){0,3} to\b",
        ),
        (
            W,
            "without_telling",
            r"\b(?:without|do not|don'?t|never) (?:telling|tell|informing|inform|notifying|notify|alerting|mentioning|asking) (?:the )?(?:user|them|him|her|anyone)\b",
        ),
    ];
    for (s, name, p) in tool {
        r.push((F::ToolHijack, *s, name, (*p).to_string()));
    }
    r
}
