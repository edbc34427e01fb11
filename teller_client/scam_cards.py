"""Short cards on the common scam typologies, shown by the lobby kiosk while it is idle."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ScamCard:
    key: str
    title: dict[str, str]
    sign: dict[str, str]
    advice: dict[str, str]


CARDS = (
    ScamCard(
        "police_impersonation",
        {"zh-CN": "冒充公检法", "en": "Fake police, prosecutors or courts"},
        {
            "zh-CN": "来电称您涉嫌洗钱、账户被冻结，要求配合“调查”并保密。",
            "en": 'A caller says your account is involved in a crime and you must help an "investigation" in secret.',
        },
        {
            "zh-CN": "公检法不会电话办案，更不会让您转账。挂断电话，拨打 110 核实。",
            "en": "Police never handle cases by phone or ask for money. Hang up and call 110.",
        },
    ),
    ScamCard(
        "safe_account",
        {"zh-CN": "“安全账户”", "en": 'The "safe account"'},
        {
            "zh-CN": "对方让您把钱转到“安全账户”或“监管账户”保护资金。",
            "en": 'You are told to move your money to a "safe" or "supervised" account to protect it.',
        },
        {
            "zh-CN": "根本不存在“安全账户”。凡是要求转到安全账户的，都是诈骗。",
            "en": "There is no such thing as a safe account. Anyone asking for this is a scammer.",
        },
    ),
    ScamCard(
        "investment",
        {"zh-CN": "投资理财、虚拟货币", "en": "Investment and crypto"},
        {
            "zh-CN": "“老师”带单、内幕消息、高回报稳赚不赔，先小赚再诱导大额投入。",
            "en": 'A "mentor" offers insider tips and guaranteed high returns; small wins first, then big deposits.',
        },
        {
            "zh-CN": "高回报必有高风险。不在陌生平台投资，不向个人账户转账。",
            "en": "Guaranteed high returns do not exist. Never pay into a personal account for an investment.",
        },
    ),
    ScamCard(
        "brushing",
        {"zh-CN": "刷单返利", "en": 'Part-time "brushing" jobs'},
        {
            "zh-CN": "在家兼职、动动手指赚佣金，要求先垫付资金做任务。",
            "en": "An easy job from home: pay in advance to complete tasks, and earn a commission.",
        },
        {
            "zh-CN": "所有刷单都是诈骗。先垫钱的兼职，一分钱都不要付。",
            "en": "Every brushing job is a scam. Never pay money to get a job.",
        },
    ),
    ScamCard(
        "romance",
        {"zh-CN": "网络交友（杀猪盘）", "en": "Online romance"},
        {
            "zh-CN": "网上认识的“恋人”从不见面，却带您投资或借钱应急。",
            "en": "An online partner you have never met asks you to invest with them or lend money.",
        },
        {
            "zh-CN": "没见过面的网友谈钱，就是诈骗。与家人商量后再决定。",
            "en": "If someone you have never met talks about money, it is a scam. Talk to your family first.",
        },
    ),
    ScamCard(
        "loan_fee",
        {"zh-CN": "贷款先交费", "en": "Loans that need a fee first"},
        {
            "zh-CN": "无抵押低息贷款，放款前要交保证金、解冻费、验资费。",
            "en": 'A cheap loan with no checks, but first a deposit, an "unfreezing" fee or a proof of funds.',
        },
        {
            "zh-CN": "正规贷款放款前不收任何费用。要先交钱的，都是诈骗。",
            "en": "Real lenders never charge before paying out. A fee first means a scam.",
        },
    ),
    ScamCard(
        "refund",
        {"zh-CN": "冒充客服退款", "en": "Fake refunds and customer service"},
        {
            "zh-CN": "“客服”说商品有问题要退款、理赔，或要帮您关闭“百万保障”。",
            "en": '"Customer service" offers a refund or compensation, or says a service must be cancelled.',
        },
        {
            "zh-CN": "退款不需要您转账或提供验证码。请通过官方渠道核实。",
            "en": "A refund never needs you to pay or share a code. Check through the official app or number.",
        },
    ),
)
