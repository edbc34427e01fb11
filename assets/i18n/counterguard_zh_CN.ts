<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>CustomerPanel</name>
    <message>
        <location filename="../../ui/customer_panel.py" line="162" />
        <source>Identity not yet confirmed.</source>
        <translation>尚未确认客户身份。</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="164" />
        <source>Identity confirmed. Verify the customer's face, or record the alternative check.</source>
        <translation>身份已确认。请进行人脸核验，或记录替代核验方式。</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="166" />
        <source>Identity confirmed and verified.</source>
        <translation>身份已确认并完成核验。</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="185" />
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="187" />
        <source>Resident ID card</source>
        <translation>居民身份证</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="188" />
        <source>Passport</source>
        <translation>护照</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="189" />
        <source>Mainland travel permit (HK/Macao)</source>
        <translation>港澳居民来往内地通行证</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="190" />
        <source>Mainland travel permit (Taiwan)</source>
        <translation>台湾居民来往大陆通行证</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="191" />
        <source>Foreign permanent resident ID</source>
        <translation>外国人永久居留身份证</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="199" />
        <source>ID &amp;type</source>
        <translation>证件类型(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="200" />
        <source>ID &amp;number</source>
        <translation>证件号码(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="201" />
        <source>Customer &amp;name</source>
        <translation>客户姓名(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="202" />
        <source>&amp;Birth date</source>
        <translation>出生日期(&amp;B)</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="203" />
        <source>&amp;Confirm identity</source>
        <translation>确认身份(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../ui/customer_panel.py" line="204" />
        <source>Confirm identity</source>
        <translation>确认身份</translation>
    </message>
</context>
<context>
    <name>FacePanel</name>
    <message>
        <location filename="../../ui/face_panel.py" line="218" />
        <source>Reading the reference photo…</source>
        <translation>正在读取比对照片…</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="224" />
        <source>The reference photo cannot be used: {problem}</source>
        <translation>该比对照片无法使用：{problem}</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="230" />
        <source>Reference photo ready ({origin}).</source>
        <translation>比对照片已就绪（{origin}）。</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="231" />
        <source>ID card chip</source>
        <translation>身份证芯片</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="231" />
        <source>file</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="252" />
        <source>Reference photo</source>
        <translation>比对照片</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="253" />
        <source>Images (*.jpg *.jpeg *.png *.bmp)</source>
        <translation>图片 (*.jpg *.jpeg *.png *.bmp)</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="276" />
        <source>This ID card does not belong to the customer being served; it was not used.</source>
        <translation>该身份证不属于当前办理业务的客户，未予使用。</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="340" />
        <source>Verified: the customer matches the ID photo and passed the liveness check.</source>
        <translation>核验通过：客户与证件照片一致，并通过活体检测。</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="345" />
        <source>Liveness check failed: the head-turn instructions were not followed in time.</source>
        <translation>活体检测未通过：未在规定时间内按提示转头。</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="349" />
        <source>No match: the live face does not match the ID photo.</source>
        <translation>比对不一致：现场人脸与证件照片不符。</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="351" />
        <source>Inconclusive: use the alternative verification procedure.</source>
        <translation>结果不确定：请按替代流程核验身份。</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="353" />
        <source>(distance {distance:.2f})</source>
        <translation>（距离 {distance:.2f}）</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="357" />
        <source>Try again</source>
        <translation>重新核验</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="372" />
        <source>No usable camera: record the alternative verification below.</source>
        <translation>没有可用的摄像头：请在下方记录替代核验方式。</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="379" />
        <source>The face check could not continue: {error}</source>
        <translation>人脸核验无法继续：{error}</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="387" />
        <source>Say how the identity was checked, e.g. second document.</source>
        <translation>请说明如何核实身份，例如核对第二证件。</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="427" />
        <source>Put the ID card on the reader, or load the customer's photo.</source>
        <translation>请将身份证放在读卡器上，或载入客户照片。</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="429" />
        <source>Ask for consent first.</source>
        <translation>请先征得客户同意。</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="431" />
        <source>&amp;Start face check</source>
        <translation>开始人脸核验(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="434" />
        <source>Face verification</source>
        <translation>人脸核验</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="437" />
        <source>Ask the customer: "To confirm your identity we compare your face with your ID card photo on this computer. The picture is not stored or sent anywhere. Do you agree? If not, we will check your identity another way."</source>
        <translation>请告知客户：“为确认您的身份，我们将在本机把您的人脸与身份证照片进行比对。照片不会保存，也不会发送到任何地方。您是否同意？如不同意，我们将用其他方式核实您的身份。”</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="442" />
        <source>Customer &amp;agrees</source>
        <translation>客户同意(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="443" />
        <source>Customer &amp;declines</source>
        <translation>客户拒绝(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="444" />
        <source>Load &amp;photo…</source>
        <translation>载入照片(&amp;P)…</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="445" />
        <source>ID photo</source>
        <translation>证件照片</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="446" />
        <source>Live face</source>
        <translation>现场人脸</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="447" />
        <source>Camera preview</source>
        <translation>摄像头画面</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="448" />
        <source>Alternative verification</source>
        <translation>替代核验</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="451" />
        <source>No camera at this counter</source>
        <translation>本柜台无摄像头</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="453" />
        <source>Customer refuses face capture</source>
        <translation>客户拒绝人脸采集</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="456" />
        <source>Face does not match after attempts</source>
        <translation>多次比对不一致</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="460" />
        <source>Why the face check is not done</source>
        <translation>未进行人脸核验的原因</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="461" />
        <source>How identity was checked</source>
        <translation>身份核验方式</translation>
    </message>
    <message>
        <location filename="../../ui/face_panel.py" line="462" />
        <source>&amp;Record alternative check</source>
        <translation>记录替代核验(&amp;R)</translation>
    </message>
</context>
<context>
    <name>KioskWindow</name>
    <message>
        <location filename="../../ui/kiosk_window.py" line="400" />
        <source>Many checks have been made at this kiosk just now. Please wait a minute and try again.</source>
        <translation>本机刚才查询次数较多，请稍等一分钟后再试。</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="405" />
        <source>Please check the account number and try again.</source>
        <translation>请核对账号后重试。</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="420" />
        <source>STOP: this account is on the police list of fraud-linked accounts</source>
        <translation>请停止转账：该账户在公安机关涉案账户名单上</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="423" />
        <source>CAUTION: this account has been reported as suspected of fraud</source>
        <translation>请谨慎：该账户被报告为疑似涉诈账户</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="424" />
        <source>No risk record was found for this account</source>
        <translation>暂未发现该账户的风险记录</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="443" />
        <location filename="../../ui/kiosk_window.py" line="450" />
        <source>Please answer: {question}</source>
        <translation>请回答：{question}</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="526" />
        <source>Not accepted: the staff ID or password is wrong.</source>
        <translation>未通过：员工号或密码错误。</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="548" />
        <source>The sign: {text}</source>
        <translation>典型特征：{text}</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="552" />
        <source>Check before you transfer</source>
        <translation>转账前查一查</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="553" />
        <source>DEMO — not connected to a real screening service</source>
        <translation>演示模式 — 未连接真实筛查服务</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="555" />
        <source>Staff</source>
        <translation>员工</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="556" />
        <source>Start again</source>
        <translation>返回首页</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="557" />
        <source>Check a payee account</source>
        <translation>查询收款账户</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="558" />
        <source>Before a transfer: questions with staff</source>
        <translation>转账前：与工作人员一起答题</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="559" />
        <source>Know the scams</source>
        <translation>识骗防骗</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="562" />
        <source>Enter the account number you were asked to pay. We show only whether it has a risk record.</source>
        <translation>请输入对方让您转入的账号。我们只显示该账户是否有风险记录。</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="565" />
        <location filename="../../ui/kiosk_window.py" line="566" />
        <source>Account number</source>
        <translation>账号</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="567" />
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="568" />
        <source>⌫ Delete</source>
        <translation>⌫ 删除</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="569" />
        <source>Check</source>
        <translation>查询</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="570" />
        <source>Check another account</source>
        <translation>查询其他账户</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="573" />
        <source>A member of staff goes through these questions with you. Your answers help the teller protect you.</source>
        <translation>工作人员将与您一起回答以下问题。您的回答能帮助柜员保护您的资金安全。</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="577" />
        <source>What is the money for?</source>
        <translation>这笔钱用于什么？</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="578" />
        <source>Who asked you to make this transfer?</source>
        <translation>是谁让您转这笔钱？</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="579" />
        <source>Who is the payee to you?</source>
        <translation>收款人和您是什么关系？</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="580" />
        <source>How urgent is it?</source>
        <translation>有多着急？</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="581" />
        <source>About how much?</source>
        <translation>大约多少钱？</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="582" />
        <source>Is someone on the phone with you now, telling you what to do?</source>
        <translation>现在是否有人正在电话里指导您操作？</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="583" />
        <source>Were you told to keep this secret from the bank or family?</source>
        <translation>是否有人让您对银行或家人保密？</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="584" />
        <source>Is this the first time you pay this account?</source>
        <translation>是否第一次向这个账户转账？</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="589" />
        <source>Supporting family</source>
        <translation>给家人生活费</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="590" />
        <source>Rent or bills</source>
        <translation>房租或缴费</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="591" />
        <source>A purchase</source>
        <translation>购物付款</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="592" />
        <source>An investment</source>
        <translation>投资理财</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="593" />
        <source>A loan, deposit or fee</source>
        <translation>贷款、保证金或手续费</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="594" />
        <source>A tax or a fine</source>
        <translation>税款或罚款</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="595" />
        <source>Moving money to a "safe account"</source>
        <translation>把钱转到“安全账户”</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="596" />
        <source>Something else</source>
        <translation>其他</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="597" />
        <source>Nobody, my own decision</source>
        <translation>没人让我转，我自己决定的</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="598" />
        <source>Family</source>
        <translation>家人</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="599" />
        <source>A friend</source>
        <translation>朋友</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="600" />
        <source>My employer or boss</source>
        <translation>单位或领导</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="601" />
        <source>A caller saying they are police, court or government</source>
        <translation>自称公安、法院或政府的来电人员</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="602" />
        <source>Someone I met online</source>
        <translation>网上认识的人</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="603" />
        <source>Someone saying they are customer service</source>
        <translation>自称客服的人</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="604" />
        <source>A business I deal with</source>
        <translation>有业务往来的商家</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="605" />
        <source>Someone I have never met</source>
        <translation>从未见过面的人</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="606" />
        <source>I don't know</source>
        <translation>不清楚</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="607" />
        <source>Not urgent</source>
        <translation>不着急</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="608" />
        <source>It must be today</source>
        <translation>必须今天转</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="609" />
        <source>Right now, or something bad will happen</source>
        <translation>马上就要转，否则会有不好的后果</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="610" />
        <source>Under 10,000</source>
        <translation>1万元以下</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="611" />
        <source>10,000 to 50,000</source>
        <translation>1万至5万元</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="612" />
        <source>50,000 to 200,000</source>
        <translation>5万至20万元</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="613" />
        <source>Over 200,000</source>
        <translation>20万元以上</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="621" />
        <source>Myself (my own account)</source>
        <translation>我本人（自己的账户）</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="626" />
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="627" />
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="628" />
        <source>Get my code</source>
        <translation>获取预筛查码</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="630" />
        <source>Give this code to the teller at the counter. It is valid for 24 hours.</source>
        <translation>请把这个号码告诉柜台的柜员。24小时内有效。</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="632" />
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="634" />
        <source>The service is temporarily unavailable.
Please ask a member of staff for help.</source>
        <translation>服务暂时不可用。
请向工作人员寻求帮助。</translation>
    </message>
</context>
<context>
    <name>LockPage</name>
    <message>
        <location filename="../../ui/pages.py" line="176" />
        <source>Screen locked after inactivity. {name}, enter your password to continue.</source>
        <translation>长时间无操作，屏幕已锁定。{name}，请输入密码继续。</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="182" />
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="183" />
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
</context>
<context>
    <name>PrescreenWording</name>
    <message>
        <location filename="../../ui/prescreen_text.py" line="28" />
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="28" />
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="31" />
        <source>Supporting family</source>
        <translation>给家人生活费</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="32" />
        <source>Rent or bills</source>
        <translation>房租或缴费</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="33" />
        <source>A purchase</source>
        <translation>购物付款</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="34" />
        <source>An investment</source>
        <translation>投资理财</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="35" />
        <source>A loan, or a fee to get a loan</source>
        <translation>贷款，或为办贷款付费</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="36" />
        <source>A tax or a fine</source>
        <translation>税款或罚款</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="37" />
        <source>Moving money to a "safe account" as asked</source>
        <translation>按要求把钱转到“安全账户”</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="38" />
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="41" />
        <source>Nobody: the customer's own decision</source>
        <translation>无人要求，客户自己决定</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="42" />
        <source>A family member</source>
        <translation>家人</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="43" />
        <location filename="../../ui/prescreen_text.py" line="55" />
        <source>A friend</source>
        <translation>朋友</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="44" />
        <source>The employer or a boss</source>
        <translation>雇主或领导</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="46" />
        <source>A caller claiming to be the police, a court or an official</source>
        <translation>自称公安、法院或其他机关工作人员的来电者</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="48" />
        <source>Someone met online</source>
        <translation>网上认识的人</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="49" />
        <source>Someone claiming to be customer service</source>
        <translation>自称客服的人</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="50" />
        <source>Someone else</source>
        <translation>其他人</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="53" />
        <source>The customer's own account</source>
        <translation>客户本人账户</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="54" />
        <source>Family</source>
        <translation>家人</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="56" />
        <source>A business contact</source>
        <translation>生意往来</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="57" />
        <source>Never met in person</source>
        <translation>从未见过面</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="58" />
        <source>Does not know who it is</source>
        <translation>不知道对方是谁</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="61" />
        <source>Not urgent</source>
        <translation>不着急</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="62" />
        <source>Must be sent today</source>
        <translation>今天必须汇出</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="63" />
        <source>Immediately, or under threat</source>
        <translation>必须马上汇出，或受到威胁</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="66" />
        <source>Under 10,000</source>
        <translation>1万元以下</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="67" />
        <source>10,000 to 50,000</source>
        <translation>1万至5万元</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="68" />
        <source>50,000 to 200,000</source>
        <translation>5万至20万元</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="69" />
        <source>Over 200,000</source>
        <translation>20万元以上</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="78" />
        <source>Purpose: {value}</source>
        <translation>用途：{value}</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="79" />
        <source>In the customer's words: {value}</source>
        <translation>客户原话：{value}</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="80" />
        <source>Who asked for the transfer: {value}</source>
        <translation>谁让汇款：{value}</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="81" />
        <source>Relationship to the payee: {value}</source>
        <translation>与收款人关系：{value}</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="82" />
        <source>Urgency: {value}</source>
        <translation>紧迫程度：{value}</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="83" />
        <source>On the phone with someone now: {value}</source>
        <translation>此刻是否正在与人通话：{value}</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="84" />
        <source>Told to keep it secret: {value}</source>
        <translation>是否被要求保密：{value}</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="85" />
        <source>First payment to this payee: {value}</source>
        <translation>是否首次向该收款人汇款：{value}</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="86" />
        <source>Amount (CNY): {value}</source>
        <translation>金额（人民币）：{value}</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="87" />
        <source>Lobby manager's remarks: {value}</source>
        <translation>大堂经理备注：{value}</translation>
    </message>
    <message>
        <location filename="../../ui/prescreen_text.py" line="91" />
        <source>Lobby pre-screen {code}</source>
        <translation>大堂预筛查 {code}</translation>
    </message>
</context>
<context>
    <name>RemittanceForm</name>
    <message>
        <location filename="../../ui/remittance_form.py" line="150" />
        <source>Checking the pre-screen code…</source>
        <translation>正在查询预筛查码…</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="190" />
        <source>Check the pre-screen code first, or clear it.</source>
        <translation>请先查询预筛查码，或将其清空。</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="242" />
        <source>Remittance</source>
        <translation>汇款信息</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="244" />
        <source>Pa&amp;yer account</source>
        <translation>付款账号(&amp;Y)</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="245" />
        <source>Pay&amp;ee account</source>
        <translation>收款账号(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="246" />
        <source>Payee na&amp;me</source>
        <translation>收款人姓名(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="247" />
        <source>Payee &amp;bank</source>
        <translation>收款银行(&amp;B)</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="248" />
        <source>&amp;Amount</source>
        <translation>金额(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="249" />
        <source>C&amp;urrency</source>
        <translation>币种(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="250" />
        <source>Pur&amp;pose</source>
        <translation>用途(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="251" />
        <source>Arri&amp;val</source>
        <translation>到账方式(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="252" />
        <source>Pre-screen code (optional)</source>
        <translation>预筛查码（选填）</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="258" />
        <source>Real time</source>
        <translation>实时到账</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="259" />
        <source>2-hour delay</source>
        <translation>2小时后到账</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="260" />
        <source>Next day</source>
        <translation>次日到账</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="262" />
        <source>&amp;Screen remittance (Enter)</source>
        <translation>提交风险筛查(&amp;S)（回车）</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="263" />
        <source>Screen remittance</source>
        <translation>提交风险筛查</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="264" />
        <source>e.g. ABC-234, from the lobby</source>
        <translation>例如 ABC-234，由大堂提供</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="265" />
        <source>C&amp;heck code</source>
        <translation>查询预筛查码(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../ui/remittance_form.py" line="266" />
        <source>Check pre-screen code</source>
        <translation>查询预筛查码</translation>
    </message>
</context>
<context>
    <name>ReportDialog</name>
    <message>
        <location filename="../../ui/report_dialog.py" line="76" />
        <source>Describe what happened (at least 5 characters).</source>
        <translation>请描述情况（至少5个字）。</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="96" />
        <source>Report a suspicious account</source>
        <translation>上报可疑账户</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="97" />
        <source>Account number</source>
        <translation>账号</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="98" />
        <source>Account name (if known)</source>
        <translation>户名（如知道）</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="99" />
        <source>Bank (if known)</source>
        <translation>开户行（如知道）</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="100" />
        <source>Scam type</source>
        <translation>诈骗类型</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="101" />
        <source>What happened</source>
        <translation>情况说明</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="103" />
        <source>"Safe account" scam</source>
        <translation>“安全账户”诈骗</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="104" />
        <source>Police / procuratorate impersonation</source>
        <translation>冒充公检法</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="105" />
        <source>Investment or crypto scam</source>
        <translation>投资理财 / 虚拟货币诈骗</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="106" />
        <source>Part-time "brushing" job scam</source>
        <translation>刷单返利诈骗</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="107" />
        <source>Loan fee or "unfreezing" fee scam</source>
        <translation>贷款 / 解冻费诈骗</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="108" />
        <source>Refund / customer service impersonation</source>
        <translation>冒充客服退款诈骗</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="109" />
        <source>Romance scam</source>
        <translation>网络交友（杀猪盘）诈骗</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="110" />
        <source>Impersonating a relative or boss</source>
        <translation>冒充亲友 / 领导</translation>
    </message>
    <message>
        <location filename="../../ui/report_dialog.py" line="111" />
        <source>Account linked to fraud (other)</source>
        <translation>涉诈账户（其他）</translation>
    </message>
</context>
<context>
    <name>RiskWarningDialog</name>
    <message>
        <location filename="../../ui/risk_dialog.py" line="214" />
        <source>read the warning ({seconds} s)</source>
        <translation>阅读提示（{seconds} 秒）</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="217" />
        <source>ask every question and record the answer</source>
        <translation>逐项询问并记录客户回答</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="220" />
        <source>write a note</source>
        <translation>填写备注</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="224" />
        <source>supervisor ID and password</source>
        <translation>主管工号和密码</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="233" />
        <source>Proceed ({seconds})</source>
        <translation>继续办理（{seconds}）</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="235" />
        <source>&amp;Proceed</source>
        <translation>继续办理(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="289" />
        <source>police list</source>
        <translation>公安涉案名单</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="290" />
        <source>peer bank report</source>
        <translation>同业银行通报</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="291" />
        <source>our bank's report</source>
        <translation>本行报告</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="292" />
        <source>screening rule</source>
        <translation>筛查规则</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="293" />
        <source>customer history</source>
        <translation>客户历史记录</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="299" />
        <source>WARNING — check this remittance with the customer</source>
        <translation>风险提示 — 请与客户核实本笔汇款</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="300" />
        <source>HOLD — a supervisor must approve before this remittance can proceed</source>
        <translation>暂停办理 — 须经主管审批方可继续</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="301" />
        <source>BLOCKED — this remittance must not be made</source>
        <translation>已拦截 — 本笔汇款不得办理</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="302" />
        <source>NO RISK FOUND — check the payee with the customer, then complete</source>
        <translation>未发现风险 — 请与客户核对收款人后办理</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="304" />
        <source>Fraud risk warning</source>
        <translation>涉诈风险提示</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="308" />
        <source>Risk score {score} of 100</source>
        <translation>风险评分 {score}（满分100）</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="311" />
        <source>Why</source>
        <translation>风险原因</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="321" />
        <source>Scam type: {typology} · Source: {source}</source>
        <translation>诈骗类型：{typology} · 来源：{source}</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="331" />
        <source>Payee name check: the name matches the account holder.</source>
        <translation>收款人户名核验：姓名与账户户名一致。</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="334" />
        <source>Payee name check: CLOSE MATCH. The account is held by {name}. Ask the customer whether this is the person they mean.</source>
        <translation>收款人户名核验：相近。该账户户名为“{name}”，请向客户确认是否为其要汇款的人。</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="341" />
        <source>Payee name check: NO MATCH. The name given does not match the account holder: the money may go to an account that is not held by the intended payee.</source>
        <translation>收款人户名核验：不一致。所填姓名与账户户名不符，资金可能汇入并非收款人本人的账户。</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="348" />
        <source>Payee name check unavailable: the name could not be checked. Confirm the payee by other means, or try again later.</source>
        <translation>收款人户名核验暂不可用：无法核对户名。请通过其他方式确认收款人，或稍后重试。</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="360" />
        <source>Ask the customer — tick each question and write the answer</source>
        <translation>询问客户 — 逐项勾选并记录回答</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="363" />
        <source>Customer's answer</source>
        <translation>客户回答</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="365" />
        <source>Answer: {question}</source>
        <translation>回答：{question}</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="368" />
        <source>&amp;Note (required to proceed)</source>
        <translation>备注（继续办理时必填）(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="368" />
        <source>&amp;Note</source>
        <translation>备注(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="370" />
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="371" />
        <source>Supervisor approval (dual control)</source>
        <translation>主管审批（双人复核）</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="372" />
        <location filename="../../ui/risk_dialog.py" line="374" />
        <source>Supervisor ID</source>
        <translation>主管工号</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="373" />
        <location filename="../../ui/risk_dialog.py" line="375" />
        <source>Supervisor password</source>
        <translation>主管密码</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="378" />
        <source>Police referral recorded. Branch procedure: keep the customer in a quiet, private area; inform the branch manager; call the police on 110 or the anti-fraud hotline 96110; do not hand over cash or complete the transfer until the police have spoken with the customer. Then cancel or delay the remittance here.</source>
        <translation>已记录报警。网点处置流程：请将客户引导至安静、私密的区域；报告网点负责人；拨打110报警或96110反诈专线；在民警与客户沟通之前，不得交付现金或完成转账。之后请在此取消或延迟本笔汇款。</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="384" />
        <source>&amp;Cancel remittance</source>
        <translation>取消汇款(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="385" />
        <source>Delay &amp;2 hours</source>
        <translation>延迟2小时到账(&amp;2)</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="386" />
        <source>Delay to next &amp;day</source>
        <translation>次日到账(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/risk_dialog.py" line="387" />
        <source>Refer to p&amp;olice</source>
        <translation>报警处置(&amp;O)</translation>
    </message>
</context>
<context>
    <name>SignInPage</name>
    <message>
        <location filename="../../ui/pages.py" line="83" />
        <source>Enter your teller ID and password.</source>
        <translation>请输入柜员号和密码。</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="89" />
        <source>Signing in…</source>
        <translation>正在登录…</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="89" />
        <location filename="../../ui/pages.py" line="107" />
        <location filename="../../ui/pages.py" line="108" />
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="102" />
        <source>Counter fraud screening — teller sign-in</source>
        <translation>柜面反诈筛查 — 柜员登录</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="103" />
        <source>&amp;Teller ID</source>
        <translation>柜员号(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="104" />
        <source>&amp;Password</source>
        <translation>密码(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="105" />
        <source>Teller ID</source>
        <translation>柜员号</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="106" />
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="109" />
        <source>DEMO service — demo sign-ins:</source>
        <translation>演示服务 — 演示账号：</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="111" />
        <source>supervisor</source>
        <translation>主管</translation>
    </message>
    <message>
        <location filename="../../ui/pages.py" line="111" />
        <source>teller</source>
        <translation>柜员</translation>
    </message>
</context>
<context>
    <name>StaffExitDialog</name>
    <message>
        <location filename="../../ui/kiosk_window.py" line="683" />
        <source>Staff: leave kiosk mode</source>
        <translation>员工：退出自助模式</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="684" />
        <location filename="../../ui/kiosk_window.py" line="688" />
        <source>Staff ID</source>
        <translation>员工号</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="685" />
        <location filename="../../ui/kiosk_window.py" line="689" />
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="686" />
        <source>Leave kiosk mode</source>
        <translation>退出自助模式</translation>
    </message>
    <message>
        <location filename="../../ui/kiosk_window.py" line="687" />
        <source>Back</source>
        <translation>返回</translation>
    </message>
</context>
<context>
    <name>TellerWindow</name>
    <message>
        <location filename="../../ui/teller_window.py" line="263" />
        <source>Finish the current remittance before signing out.</source>
        <translation>请先办结当前汇款再退出登录。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="328" />
        <source>Finish the current remittance first.</source>
        <translation>请先办结当前汇款。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="419" />
        <source>No more face attempts: verify the identity by the alternative procedure.</source>
        <translation>人脸核验次数已用完：请按替代流程核验身份。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="452" />
        <source>No pre-screen has this code, or it has expired. Check the code with the customer.</source>
        <translation>没有该预筛查码，或已过期。请与客户核对预筛查码。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="558" />
        <source>Supervisor approval not given: the supervisor ID or password is wrong, or that person is not a supervisor of this branch.</source>
        <translation>主管审批未通过：主管工号或密码错误，或该人员不是本网点主管。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="589" />
        <source>Completed</source>
        <translation>已办理</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="590" />
        <source>Completed with delayed arrival</source>
        <translation>已办理（延迟到账）</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="591" />
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="592" />
        <source>Offline procedure — queued for screening</source>
        <translation>离线流程 — 待恢复后筛查</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="594" />
        <source>not screened</source>
        <translation>未筛查</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="682" />
        <source>Account {account} reported (reference {report}).</source>
        <translation>账户 {account} 已上报（编号 {report}）。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="704" />
        <source>Service: checking…</source>
        <translation>服务：检查中…</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="706" />
        <source>Service: connected</source>
        <translation>服务：已连接</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="708" />
        <source>Service: NOT reachable</source>
        <translation>服务：无法连接</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="710" />
        <source>Audit records waiting: {count}</source>
        <translation>待上送审计记录：{count}</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="715" />
        <source>{count} offline remittance(s) found risky after sending ({decisions}): stop them before arrival and tell a supervisor</source>
        <translation>有 {count} 笔离线汇款事后筛查发现风险（{decisions}）：请在到账前拦截并报告主管</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="734" />
        <source>Confirm the customer's identity, then key the remittance.</source>
        <translation>请先确认客户身份，再录入汇款信息。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="735" />
        <source>Key the remittance and press Enter to screen it.</source>
        <translation>请录入汇款信息，按回车提交筛查。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="736" />
        <source>Sending for screening…</source>
        <translation>正在提交筛查…</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="737" />
        <source>Screening… please wait</source>
        <translation>正在筛查…请稍候</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="738" />
        <source>Screening: no risk found — completing the remittance</source>
        <translation>筛查结果：未发现风险 — 正在办理</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="739" />
        <source>Screening: WARNING — see the risk warning</source>
        <translation>筛查结果：风险提示 — 请查看提示窗口</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="740" />
        <source>Screening: HOLD — supervisor approval needed</source>
        <translation>筛查结果：暂停 — 需主管审批</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="741" />
        <source>Screening: BLOCKED — this remittance must not be made</source>
        <translation>筛查结果：拦截 — 本笔汇款不得办理</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="742" />
        <source>Screening UNAVAILABLE — the remittance has not been screened</source>
        <translation>筛查不可用 — 本笔汇款尚未经过筛查</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="743" />
        <source>Last remittance: {outcome}</source>
        <translation>上一笔汇款：{outcome}</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="755" />
        <source>This teller ID is locked after too many wrong passwords. Ask a supervisor or IT.</source>
        <translation>密码错误次数过多，该柜员号已锁定。请联系主管或科技人员。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="759" />
        <source>Too many failed sign-ins at this terminal. Wait {minutes} minute(s) before trying again, or ask a supervisor.</source>
        <translation>本终端登录失败次数过多。请等待 {minutes} 分钟后再试，或联系主管。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="764" />
        <source>Not allowed: {detail}</source>
        <translation>无权操作：{detail}</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="765" />
        <source>Teller ID or password is wrong.</source>
        <translation>柜员号或密码错误。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="768" />
        <source>The service refused this: {detail}</source>
        <translation>服务拒绝了该操作：{detail}</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="769" />
        <source>The screening service cannot be used right now ({reason}). Try again.</source>
        <translation>筛查服务暂时无法使用（{reason}），请重试。</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="460" />
        <location filename="../../ui/teller_window.py" line="778" />
        <source>That step could not be completed: {error}</source>
        <translation>该步骤未能完成：{error}</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="782" />
        <source>the disk is full</source>
        <translation>磁盘已满</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="783" />
        <source>the disk is read-only</source>
        <translation>磁盘为只读</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="784" />
        <source>a disk error</source>
        <translation>磁盘错误</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="786" />
        <source>The audit log cannot be written ({problem}). Nothing may be done unrecorded: this remittance has stopped and must not be carried out. Call IT and give them the audit log file: {path}</source>
        <translation>审计日志无法写入（{problem}）。任何操作都必须留有记录：此笔汇款已停止，不得办理。请联系IT，并告知审计日志文件：{path}</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="814" />
        <source>Audit log unavailable</source>
        <translation>审计日志不可用</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="830" />
        <source>Something went wrong: {error}</source>
        <translation>发生错误：{error}</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="833" />
        <source> — DEMO</source>
        <translation> — 演示</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="834" />
        <source>DEMO — not connected to a real screening service</source>
        <translation>演示模式 — 未连接真实筛查服务</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="835" />
        <source>&amp;Counter</source>
        <translation>柜面(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="836" />
        <source>&amp;New customer</source>
        <translation>新客户(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="837" />
        <source>&amp;Report suspicious account…</source>
        <translation>上报可疑账户(&amp;R)…</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="838" />
        <source>&amp;Lock screen</source>
        <translation>锁定屏幕(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="840" />
        <source>Switch to English</source>
        <translation>Switch to English</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="842" />
        <source>Switch to Chinese</source>
        <translation>切换为中文</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="844" />
        <source>Sign &amp;out</source>
        <translation>退出登录(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="845" />
        <source>This session's remittances</source>
        <translation>本次登录办理的汇款</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="847" />
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="847" />
        <source>Payee</source>
        <translation>收款账号</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="847" />
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="847" />
        <source>Decision</source>
        <translation>筛查结论</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="847" />
        <source>Outcome</source>
        <translation>办理结果</translation>
    </message>
    <message>
        <location filename="../../ui/teller_window.py" line="860" />
        <source>Finish the current remittance before closing.</source>
        <translation>请先办结当前汇款再关闭程序。</translation>
    </message>
</context>
<context>
    <name>TlsWarningBanner</name>
    <message>
        <location filename="../../ui/widgets.py" line="111" />
        <source>TLS VERIFICATION IS OFF (developer mode) — the screening service's identity is not checked. Not for production: do not serve customers on this terminal.</source>
        <translation>TLS 证书校验已关闭（开发模式）— 未核实筛查服务的身份。不得用于生产：请勿在本终端为客户办理业务。</translation>
    </message>
</context>
<context>
    <name>UnavailableDialog</name>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="92" />
        <source>The offline procedure needs the supervisor's ID and a note.</source>
        <translation>离线流程须填写主管工号和备注。</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="101" />
        <source>screening unavailable</source>
        <translation>筛查不可用</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="117" />
        <source>the screening service cannot be reached</source>
        <translation>无法连接筛查服务</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="118" />
        <source>the screening service did not answer in time</source>
        <translation>筛查服务未能及时响应</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="119" />
        <source>the secure connection to the screening service failed</source>
        <translation>与筛查服务的安全连接失败</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="120" />
        <source>the screening service reported an internal error</source>
        <translation>筛查服务内部错误</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="121" />
        <source>the screening service is overloaded</source>
        <translation>筛查服务繁忙</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="123" />
        <source>the screening service sent an answer that could not be read</source>
        <translation>筛查服务返回的结果无法识别</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="125" />
        <source>this terminal or your session was not accepted</source>
        <translation>本终端或当前登录未被接受</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="126" />
        <source>the screening service refused the request</source>
        <translation>筛查服务拒绝了请求</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="131" />
        <source>Screening unavailable</source>
        <translation>筛查不可用</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="132" />
        <source>SCREENING UNAVAILABLE — this remittance has NOT been screened</source>
        <translation>筛查不可用 — 本笔汇款尚未经过筛查</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="135" />
        <source>The fraud screening could not be completed because {reason}. Do not process the remittance as normal. Try again, use the offline procedure with a supervisor's approval, or cancel.</source>
        <translation>由于{reason}，反诈筛查未能完成。请勿按正常流程办理本笔汇款。请重试，或经主管批准走离线流程，或取消汇款。</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="140" />
        <source>&amp;Retry screening</source>
        <translation>重新筛查(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="142" />
        <source>Offline procedure (supervisor approval; screened as soon as the service is back)</source>
        <translation>离线流程（须主管批准；服务恢复后立即补筛查）</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="144" />
        <location filename="../../ui/unavailable_dialog.py" line="147" />
        <source>Supervisor ID</source>
        <translation>主管工号</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="145" />
        <location filename="../../ui/unavailable_dialog.py" line="148" />
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="146" />
        <location filename="../../ui/unavailable_dialog.py" line="154" />
        <source>Arrival</source>
        <translation>到账方式</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="151" />
        <source>Next day</source>
        <translation>次日到账</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="152" />
        <source>2-hour delay</source>
        <translation>2小时后到账</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="155" />
        <source>Use the &amp;offline procedure</source>
        <translation>执行离线流程(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="156" />
        <source>Reason for cancelling (optional)</source>
        <translation>取消原因（选填）</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="157" />
        <source>Reason for cancelling</source>
        <translation>取消原因</translation>
    </message>
    <message>
        <location filename="../../ui/unavailable_dialog.py" line="158" />
        <source>&amp;Cancel remittance</source>
        <translation>取消汇款(&amp;C)</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <location filename="../../ui/app.py" line="41" />
        <source>CounterGuard cannot start</source>
        <translation>柜面卫士无法启动</translation>
    </message>
    <message>
        <location filename="../../ui/app.py" line="58" />
        <source>CounterGuard</source>
        <translation>柜面卫士</translation>
    </message>
    <message>
        <location filename="../../ui/app.py" line="59" />
        <source>CounterGuard closed unexpectedly last time. A report was saved for IT.</source>
        <translation>柜面卫士上次意外退出，已为科技人员保存报告。</translation>
    </message>
</context>
<context>
    <name>crash</name>
    <message>
        <location filename="../../ui/crash.py" line="23" />
        <source>CounterGuard error</source>
        <translation>柜面卫士错误</translation>
    </message>
    <message>
        <location filename="../../ui/crash.py" line="24" />
        <source>Something went wrong inside CounterGuard. The current step was not completed; check the screen before continuing. The details are in the log for IT.</source>
        <translation>柜面卫士内部出错，当前步骤未完成；请先核对屏幕内容再继续。详细信息已记入日志，供科技人员排查。</translation>
    </message>
</context>
</TS>