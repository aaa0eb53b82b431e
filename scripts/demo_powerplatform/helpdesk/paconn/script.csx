// Custom code (runs in Power Platform for GetTicket, see scriptOperations in apiProperties.json):
// adds an `isOpen` flag to the ticket so flows can branch on it without comparing strings.
public class Script : ScriptBase
{
    public override async Task<HttpResponseMessage> ExecuteAsync()
    {
        var response = await this.Context.SendAsync(this.Context.Request, this.CancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            var ticket = JObject.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
            ticket["isOpen"] = (string)ticket["status"] == "open";
            response.Content = CreateJsonContent(ticket.ToString());
        }
        return response;
    }
}
